// Links to a message elsewhere: its lore.kernel.org page. One encoder for the dashboard and the digest.

/** A stored Message-ID without its angle brackets (as links and the API write it). */
export const bareMessageId = (id: string) => id.replace(/^<|>$/g, '');

/**
 * lore link for a message: https://lore.kernel.org/<list>/<messageId>/ (the id percent-encoded where a path needs
 * it), or under `base`, the list's archive URL from config (listArchiveUrl below).
 */
export function loreLink(list: string, messageId: string, base = `https://lore.kernel.org/${encodeURIComponent(list)}`): string {
  const id = bareMessageId(messageId);
  const enc = encodeURIComponent(id).replace(/%40/g, '@').replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%24/g, '$').replace(/%2C/g, ',').replace(/%3A/g, ':');
  return `${base.replace(/\/+$/, '')}/${enc}/`;
}

/**
 * Where a list's archive is browsed: the configured inbox's URL for it when that is a web address, else lore's
 * (https://lore.kernel.org/<list>). Lore links (dashboard, digest) are built on it.
 */
export function listArchiveUrl(inboxes: readonly { url: string; list: string }[], list: string): string {
  const inbox = inboxes.find((i) => i.list === list && /^https?:\/\//i.test(i.url));
  return inbox ? inbox.url : `https://lore.kernel.org/${encodeURIComponent(list)}`;
}
