// Is a message that arrives with a Message-ID already stored the same message (a copy: the same mail from a
// second archive, a list's pipermail text, a download of lore) or a different one that reuses the ID (a broken
// mailer's `<1@localhost>`, a forgery)? Copies are dropped as duplicates; a different message must not vanish
// without a trace (issue 13): the store keeps the first and quarantines the other with its bytes.
//
// Rule, on what the parser read: the sender's address (case-insensitive), the date (when both have one) and the
// subject's title (tags and reply markers aside, whitespace collapsed, case-insensitive) must agree. The bodies
// are NOT compared: copies of one message legitimately differ there (a list footer, pipermail's address
// obfuscation, a transfer encoding undone by an archiver), and so do their raw headers (pipermail writes
// `From: a at b (Name)`). A different message with the sender, date and subject of another is not told apart.

/** The parts of a message the comparison reads. */
export interface MessageIdentity {
  fromEmail: string;
  /** ISO 8601, or null when the message has no usable date */
  date: string | null;
  /** the subject's title (see subject.ts) */
  title: string;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** Whether `a` and `b`, two messages with the same Message-ID, are the same message. */
export function sameMessage(a: MessageIdentity, b: MessageIdentity): boolean {
  if (norm(a.fromEmail) !== norm(b.fromEmail)) return false;
  if (a.date && b.date && a.date !== b.date) return false;
  return norm(a.title) === norm(b.title);
}
