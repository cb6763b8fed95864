// Who wrote a mail, when the list rewrote its sender. Pure: addresses in, the author out.
//
// Lists that enforce DMARC (Mailman's from_is_list, Google Groups, mlmmj, ...) rewrite `From:` as
// `Name via Listname <list@address>` (or keep the name and put the list's address in), and put the author in
// `Reply-To:`; some keep the original sender in `X-Original-From:`. The rule:
// - a From is rewritten when its address is one of the list's own (the List-Post address, or the address the
//   List-Id names: `<foo.lists.example.org>` is foo@lists.example.org), or when its display name has the
//   `X via Y` form and an X-Original-From or Reply-To names X;
// - the author of a rewritten mail is X-Original-From's address, else a Reply-To address whose display name is
//   the person's (the display name before " via ", compared without case, spacing or quotes; a Reply-To that is
//   the list itself, or names somebody else, is not the author: lists set Reply-To to themselves too);
// - when neither names the person, the author is the display name with an empty address: the address is not
//   known, and a list address is never an author. Grouping by author then goes by the name (see personKey).
// Mails that are not rewritten keep their From as it is.
import { addressKey } from './address.ts';
import type { Address } from './model.ts';

export interface SenderFields {
  from: Address;
  /** Reply-To addresses, in order */
  replyTo: Address[];
  /** X-Original-From, when present */
  originalFrom: Address | null;
  /** List-Post field value, raw (`<mailto:foo@lists.example.org>`) */
  listPost: string | undefined;
  /** List-Id field value, raw (`Foo list <foo.lists.example.org>`) */
  listId: string | undefined;
}

export interface Author {
  author: Address;
  /** the list rewrote the sender: the author came from Reply-To or X-Original-From, or is known by name only */
  rewritten: boolean;
}

const VIA_RE = /^(.*?)\s+via\s+\S.*$/i;

/** The addresses a list posts from: its List-Post mailto, and the address its List-Id names. Lower case. */
export function listAddresses(listPost: string | undefined, listId: string | undefined): string[] {
  const out: string[] = [];
  const post = listPost ? /mailto:([^>\s?,]+@[^>\s?,]+)/i.exec(listPost) : null;
  if (post) out.push(decodeURIComponent(post[1]).toLowerCase());
  if (listId) {
    const bracketed = /<([^<>]+)>/.exec(listId);
    const id = (bracketed ? bracketed[1] : listId).trim().toLowerCase();
    const dot = id.indexOf('.');
    if (dot > 0 && id.indexOf('.', dot + 1) > 0) out.push(`${id.slice(0, dot)}@${id.slice(dot + 1)}`);
  }
  return [...new Set(out)];
}

const normName = (s: string) => s.toLowerCase().replace(/["'\\]/g, '').replace(/\s+/g, ' ').trim();

function isList(a: Address, lists: string[]): boolean {
  return !!a.email && lists.includes(a.email.toLowerCase());
}

/** Whether an address's display name is the person's (compared without case, spacing or quotes). */
function names(a: Address, person: string): boolean {
  return !!person && normName(a.name) === normName(person);
}

// A list's fields are the same on every mail from it: its addresses are read once (bounded; shared, read only).
const listAddressesSeen = new Map<string, string[]>();
const LIST_ADDRESSES_KEPT = 1000;

function listAddressesOf(listPost: string | undefined, listId: string | undefined): string[] {
  if (listPost === undefined && listId === undefined) return [];
  // the first field's length (-1: none) keeps apart pairs that join to the same text
  const key = `${listPost?.length ?? -1}:${listPost ?? ''}${listId === undefined ? '' : `:${listId}`}`;
  let lists = listAddressesSeen.get(key);
  if (lists === undefined) {
    if (listAddressesSeen.size >= LIST_ADDRESSES_KEPT) listAddressesSeen.clear();
    lists = listAddresses(listPost, listId);
    listAddressesSeen.set(key, lists);
  }
  return lists;
}

/**
 * The author of a mail, seeing through a list's rewritten From.
 *
 * @example authorOf({ from: { name: 'Ada Bauer via Kexec', email: 'kexec@lists.example.org' },
 *   replyTo: [{ name: 'Ada Bauer', email: 'ada@amd.example' }], originalFrom: null, listPost: '<mailto:kexec@lists.example.org>',
 *   listId: undefined }) // { author: { name: 'Ada Bauer', email: 'ada@amd.example' }, rewritten: true }
 */
export function authorOf(f: SenderFields): Author {
  const lists = listAddressesOf(f.listPost, f.listId);
  const via = VIA_RE.exec(f.from.name);
  const person = via ? via[1].replace(/^["']|["']$/g, '').trim() : f.from.name;
  const original = f.originalFrom && f.originalFrom.email && !isList(f.originalFrom, lists) ? f.originalFrom : null;
  let reply: Address | null = null;
  if (person) {
    const key = normName(person);
    for (const a of f.replyTo) {
      if (a.email && !isList(a, lists) && normName(a.name) === key) { reply = a; break; }
    }
  }
  const fromList = isList(f.from, lists);
  if (!fromList && !(via && (original ? !original.name || names(original, person) : reply))) return { author: f.from, rewritten: false };
  const found = original ?? reply;
  if (found) return { author: { name: found.name || person, email: found.email.toLowerCase() }, rewritten: true };
  return { author: { name: person, email: '' }, rewritten: true };
}

/**
 * What identifies a person across their mails: the address, else (an author known by name only) the name.
 * Series and versions are grouped by it.
 */
export function personKey(a: Address): string {
  return a.email ? addressKey(a.email) : `name:${normName(a.name)}`;
}
