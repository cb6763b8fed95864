// Messages and threads.
import type { Db } from '../../ingest/store/db.ts';
import type { Message, MessageKind, Thread, ThreadMessage } from '../schemas/index.ts';
import {
  messageIdParam, decodeCursor, encodeCursor, keysetAfter, likeEscape, matchDates, matchPerson, orderBy, pageLimit, paginate,
  parseJson, snapshot, stmt, Where, type Page, type PageRequest, type SortKey,
} from './common.ts';
import { evidenceOf } from './evidence.ts';

export interface MessageRow {
  message_id: string; list: string; subject: string; title: string; from_name: string; from_email: string;
  date: string | null; in_reply_to: string | null; refs: string; parent: string | null; thread_id: number | null;
  is_patch: number; kind: MessageKind; series_id: number | null; answers: string | null; synthetic: number;
  from_rewritten?: number;
}

const MESSAGE_COLS = `m.message_id, m.list, m.subject, m.title, m.from_name, m.from_email, m.date, m.in_reply_to, m.refs,
  m.parent, m.thread_id, m.is_patch, m.kind, m.series_id, m.answers, m.synthetic, m.from_rewritten`;

export function toMessage(r: MessageRow): Message {
  return {
    messageId: r.message_id,
    list: r.list,
    subject: r.subject,
    title: r.title,
    from: { name: r.from_name, email: r.from_email },
    date: r.date,
    inReplyTo: r.in_reply_to,
    references: parseJson<string[]>(r.refs, []),
    parent: r.parent,
    threadId: r.thread_id,
    isPatch: !!r.is_patch,
    kind: r.kind,
    seriesId: r.series_id,
    answers: r.answers,
    synthetic: !!r.synthetic,
    ...(r.from_rewritten ? { fromRewritten: true } : {}),
  };
}

export interface MessageFilters {
  list?: string;
  /** exact address, or part of the name or address */
  from?: string;
  since?: string;
  until?: string;
  /** substring of the subject, case-insensitive */
  q?: string;
  kind?: MessageKind;
  isPatch?: boolean;
}

/** Messages by date order: date (undated first), then Message-ID. */
export const MESSAGE_ORDER: SortKey[] = [{ expr: 'm.date', nullable: true }, { expr: 'm.message_id' }];

/**
 * Messages matching the filters, in date order.
 *
 * @example listMessages(db, { from: 'vgold@redhat.example', since: '2010-03-01' }, { limit: 20 })
 */
export function listMessages(db: Db, f: MessageFilters = {}, page: PageRequest = {}): Page<Message> {
  const limit = pageLimit(page);
  const w = new Where();
  if (f.list) w.add('m.list = ?', f.list);
  if (f.from) matchPerson(w, 'm.from_name', 'm.from_email', f.from);
  matchDates(w, 'm.date', f.since, f.until);
  if (f.q) w.add("m.subject LIKE ? ESCAPE '\\'", `%${likeEscape(f.q)}%`);
  if (f.kind) w.add('m.kind = ?', f.kind);
  if (f.isPatch !== undefined) w.add('m.is_patch = ?', f.isPatch ? 1 : 0);
  if (page.cursor) {
    const k = keysetAfter(MESSAGE_ORDER, decodeCursor('m', page.cursor, ['string?', 'string']));
    w.add(k.sql, ...k.params);
  }
  const rows = stmt(db, `SELECT ${MESSAGE_COLS} FROM messages m ${w} ORDER BY ${orderBy(MESSAGE_ORDER)} LIMIT ?`)
    .all(...w.params, limit + 1) as MessageRow[];
  return paginate(rows, limit, toMessage, (r) => encodeCursor('m', [r.date, r.message_id]));
}

/** One message by Message-ID (angle brackets optional), or null. */
export function getMessage(db: Db, messageId: string): Message | null {
  const r = stmt(db, `SELECT ${MESSAGE_COLS} FROM messages m WHERE m.message_id = ?`).get(messageIdParam(messageId)) as MessageRow | undefined;
  return r ? { ...toMessage(r), evidence: evidenceOf(db, r.message_id) } : null;
}

/** Several messages by id, in the order asked (unknown ids left out). */
export function getMessages(db: Db, ids: string[]): Message[] {
  return snapshot(db, () => ids.map((id) => getMessage(db, id)).filter((m): m is Message => m !== null));
}

/** The original bytes of a message, as archived. */
export function getRawMessage(db: Db, messageId: string): Buffer | null {
  const r = stmt(db, 'SELECT b.raw FROM messages m JOIN message_bodies b ON b.id = m.id WHERE m.message_id = ?').get(messageIdParam(messageId)) as { raw: Buffer } | undefined;
  return r ? r.raw : null;
}

/**
 * One message as an mboxrd file: a `From mboxrd@z Thu Jan  1 00:00:00 1970` line, the message with every
 * `>*From ` line quoted once more, and a blank line after it.
 */
export function toMboxrd(raw: Buffer): Buffer {
  let text = raw.toString('latin1'); // byte for byte
  text = text.replace(/^(>*From )/gm, '>$1');
  if (!text.endsWith('\n')) text += '\n';
  return Buffer.from(`From mboxrd@z Thu Jan  1 00:00:00 1970\n${text}\n`, 'latin1');
}

interface ThreadRow { id: number; root: string; subject: string; size: number; last_date: string | null }
interface ThreadMemberRow { message_id: string; parent: string | null; subject: string; from_name: string; from_email: string; date: string | null; is_patch: number; kind: MessageKind }

/** A thread with its messages in thread order (depth first, as the threader laid them out). */
export function getThread(db: Db, threadId: number): Thread | null {
  return snapshot(db, () => {
    const t = stmt(db, 'SELECT id, root, subject, size, last_date FROM threads WHERE id = ?').get(threadId) as ThreadRow | undefined;
    if (!t) return null;
    const rows = stmt(db, `SELECT message_id, parent, subject, from_name, from_email, date, is_patch, kind FROM messages
      WHERE thread_id = ? ORDER BY thread_pos, message_id`).all(threadId) as ThreadMemberRow[];
    const depth = new Map<string, number>();
    const messages: ThreadMessage[] = rows.map((r) => {
      const d = r.parent !== null && depth.has(r.parent) ? depth.get(r.parent)! + 1 : 0;
      depth.set(r.message_id, d);
      return {
        messageId: r.message_id, parent: r.parent, subject: r.subject, from: { name: r.from_name, email: r.from_email },
        date: r.date, isPatch: !!r.is_patch, kind: r.kind, depth: d,
      };
    });
    return { id: t.id, root: t.root, subject: t.subject, size: t.size, lastDate: t.last_date, messages };
  });
}
