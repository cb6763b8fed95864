// The one place a message's link on lore.kernel.org is built (digest, dashboard, API all call loreLink).
// A message links into its own list's inbox (the list comes from its List-Id, see ingest/core/message.ts), or under
// the list's archive URL when config names one (`inboxes`: listArchiveUrl). lore names most inboxes after the
// list's local part (kexec, linux-arm-kernel, iommu), a few otherwise (LKML's is "lkml"). Where the inbox is not
// known (no list, or a name that cannot be one), the link is lore's https://lore.kernel.org/r/<message-id>, which
// redirects to wherever lore keeps the message.

const LORE = 'https://lore.kernel.org';
/** List names (as List-Id gives them) whose lore inbox is named otherwise. */
const INBOX_OF: ReadonlyMap<string, string> = new Map([['linux-kernel', 'lkml']]);
const INBOX_RE = /^[a-z0-9][a-z0-9._+-]*$/i;

/** A stored Message-ID without its angle brackets (as links and the API write it). */
export const bareMessageId = (id: string) => id.replace(/^<|>$/g, '');

/** A Message-ID as a path segment: percent-encoded where a path needs it, `@ + = $ , :` kept as lore writes them. */
function idSegment(messageId: string): string {
  return encodeURIComponent(bareMessageId(messageId))
    .replace(/%40/g, '@').replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%24/g, '$').replace(/%2C/g, ',').replace(/%3A/g, ':');
}

/**
 * The lore link of a message: under `base` when given (the list's configured archive URL), else
 * https://lore.kernel.org/<inbox>/<message-id>/, or https://lore.kernel.org/r/<message-id> when the inbox is not known.
 *
 * @example loreLink('kexec', '<a@b>') // 'https://lore.kernel.org/kexec/a@b/'
 * @example loreLink(null, 'a@b')      // 'https://lore.kernel.org/r/a@b'
 */
export function loreLink(list: string | null | undefined, messageId: string, base?: string | null): string {
  if (base) return `${base.replace(/\/+$/, '')}/${idSegment(messageId)}/`;
  const name = (list ?? '').trim().toLowerCase();
  const inbox = INBOX_OF.get(name) ?? (INBOX_RE.test(name) ? name : null);
  return inbox ? `${LORE}/${encodeURIComponent(inbox)}/${idSegment(messageId)}/` : `${LORE}/r/${idSegment(messageId)}`;
}

/**
 * Where config says a list's archive is browsed: the URL of the inbox configured for it, when that is a web address;
 * null otherwise (loreLink then finds lore's inbox).
 */
export function listArchiveUrl(inboxes: readonly { url: string; list: string }[] | undefined, list: string | null | undefined): string | null {
  const inbox = list ? inboxes?.find((i) => i.list === list && /^https?:\/\//i.test(i.url)) : undefined;
  return inbox ? inbox.url : null;
}
