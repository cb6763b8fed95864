// Comparing mail addresses. An address is kept and shown as its sender wrote it (`AIERPATIJIANG1@kingsoft.com`);
// two spellings that differ only in letter case are one sender, so every comparison, grouping and look-up of
// senders goes through addressKey. Only ASCII letters are folded, as SQLite's NOCASE collation and lower() fold
// them: a key made here and a `COLLATE NOCASE` comparison in SQL (ingest/store, server/data) always agree.

/**
 * The form two addresses are compared in: ASCII letters lower-cased, nothing else changed.
 *
 * @example addressKey('AIERPATIJIANG1@Kingsoft.com') // 'aierpatijiang1@kingsoft.com'
 */
export function addressKey(email: string): string {
  return /[A-Z]/.test(email) ? email.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : email;
}

/** Are these one address, letter case aside? */
export function sameAddress(a: string, b: string): boolean {
  return a === b || addressKey(a) === addressKey(b);
}
