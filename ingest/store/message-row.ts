// The messages table's row as ingest inserts it: the column list and the mapper from a Message (with where it
// was read) to the values, side by side, so that the two cannot drift apart. Positional: binding 28 named
// parameters from an object costs more than the insert.
import type { Message, RawMessage } from '../core/model.ts';

/** A list of strings as JSON; most lists (tags, references) are empty. */
export const jsonList = (xs: string[]): string => (xs.length ? JSON.stringify(xs) : '[]');

/** The columns {@link messageRow} fills, in its order. */
export const MESSAGE_COLUMNS = ['message_id', 'synthetic', 'list', 'subject', 'title', 'tags', 'version',
  'idx', 'total', 'is_reply', 'from_name', 'from_email', 'date', 'in_reply_to', 'refs', 'kind', 'is_patch',
  'says_applied', 'flowed_stripped', 'change_id', 'supersedes', 'source', 'offset', 'size', 'ingested_at', 'notice', 'from_rewritten',
  'upstream_commit'] as const;

/** The values of {@link MESSAGE_COLUMNS} for a message read from `raw`, stored `at`. */
export function messageRow(m: Message, raw: RawMessage, at: string): (string | number | null)[] {
  return [
    m.messageId, m.synthetic ? 1 : 0, m.list, m.subject.raw, m.subject.title, jsonList(m.subject.tags), m.subject.version,
    m.subject.index, m.subject.total, m.subject.isReply ? 1 : 0, m.from.name, m.from.email, m.date, m.inReplyTo,
    jsonList(m.references), m.kind, m.isPatch ? 1 : 0, m.saysApplied ? 1 : 0, m.flowedStripped ? 1 : 0, m.changeId,
    m.supersedes, raw.source, raw.offset, raw.bytes.length, at, m.notice ? JSON.stringify(m.notice) : null, m.fromRewritten ? 1 : 0,
    m.upstreamCommit ?? null,
  ];
}

/** The insert of one row (a duplicate Message-ID is ignored: the caller compares it with the stored one). */
export const INSERT_MESSAGE = `INSERT OR IGNORE INTO messages (${MESSAGE_COLUMNS.join(', ')})
  VALUES (${MESSAGE_COLUMNS.map(() => '?').join(', ')})`;
