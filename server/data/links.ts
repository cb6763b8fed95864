// Links to a message elsewhere: its lore.kernel.org page. One encoder for the dashboard and the digest.

/** A stored Message-ID without its angle brackets (as links and the API write it). */
export const bareMessageId = (id: string) => id.replace(/^<|>$/g, '');

/** lore link for a message: https://lore.kernel.org/<list>/<messageId>/ (the id percent-encoded where a path needs it). */
export function loreLink(list: string, messageId: string): string {
  const id = bareMessageId(messageId);
  const enc = encodeURIComponent(id).replace(/%40/g, '@').replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%24/g, '$').replace(/%2C/g, ',').replace(/%3A/g, ':');
  return `https://lore.kernel.org/${encodeURIComponent(list)}/${enc}/`;
}
