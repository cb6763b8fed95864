// Taking a subject line apart: reply markers, bracket prefixes, version, series position, title.
import type { SubjectInfo } from './model.ts';

// Reply and forward markers, as several languages' mailers write them: Re, Fwd/Fw, Aw (German "Antwort"),
// Sv (Scandinavian "Svar"), Antw (Dutch). "Re[2]:" and "Re^2:" are counted replies from old clients.
const REPLY_RE = /^(?:re|fwd?|fw|aw|sv|antw)(?:\[\d+\]|\^\d+)?[ \t]*:[ \t]*/i;
const BRACKET_RE = /^\[([^\]]*)\][ \t]*/;
// "(v4) title": a parenthesised version (or series position) before the title
const LEADING_PAREN_RE = /^\((?:v(\d+)(?:[ ,]+(\d+)\/(\d+))?|(\d+)\/(\d+))\)[ \t]*/i;
// "title (v4)" and "title (v4 2/3)"
const TRAILING_PAREN_RE = /[ \t]*\((?:v(\d+)(?:[ ,]+(\d+)\/(\d+))?)\)$/i;
// words that prefix a version or position with nothing between: "PATCHv3", "PATCH1/8", "RFC-v2"
const GLUED_RE = /^(PATCH|RFC|RESEND|PULL)[-_]?(v\d+|\d+\/\d+)$/i;
const VERSION_RE = /^-?v(\d+)(?:\.\d+)?$/i; // "-v2" too
const POSITION_RE = /^(\d+)\/(\d+)$/;
// white space that /\s+/ → ' ' would change: any but a blank, or two in a row
const ODD_WHITE_RE = /[^\S ]|\s\s/;
const KNOWN_WORDS = new Set(['PATCH', 'RFC', 'RESEND', 'PULL', 'PATCHSET', 'REPOST']);
/**
 * Tags kept per subject (the first ones, in order). Real subjects carry a handful; a hostile one with 100,000
 * distinct `[tag]`s is still read through (versions and positions after them count) in linear time, but only
 * this many tags are kept.
 */
export const MAX_TAGS = 32;

interface Acc {
  tags: string[];
  seen: Set<string>;
  version: number | null;
  index: number | null;
  total: number | null;
}

/**
 * Split a (decoded) subject into reply marker, bracket tags, version, series position and title.
 *
 * @example parseSubject('Re: [RFC][PATCH v2 3/5] kexec: fix')
 *   // { raw, title: 'kexec: fix', tags: ['RFC', 'PATCH'], version: 2, index: 3, total: 5, isReply: true }
 */
export function parseSubject(raw: string): SubjectInfo {
  const acc: Acc = { tags: [], seen: new Set(), version: null, index: null, total: null };
  let isReply = false;
  let s = String(raw ?? '');
  // white space runs as one blank (a subject of single blanks already is)
  if (ODD_WHITE_RE.test(s)) s = s.replace(/\s+/g, ' ');
  s = s.trim();

  // Markers and brackets interleave in the wild: "[kexec] Re: [PATCH] ...", "Re: [PATCH] Re: ...".
  for (;;) {
    const reply = REPLY_RE.exec(s);
    if (reply) {
      isReply = true;
      s = s.slice(reply[0].length);
      continue;
    }
    const bracket = BRACKET_RE.exec(s);
    if (bracket) {
      applyBracket(bracket[1], acc);
      s = s.slice(bracket[0].length);
      continue;
    }
    const paren = LEADING_PAREN_RE.exec(s);
    if (paren) {
      readParen(paren, acc);
      s = s.slice(paren[0].length);
      continue;
    }
    break;
  }
  const trailing = TRAILING_PAREN_RE.exec(s);
  if (trailing && trailing.index > 0) {
    readParen(trailing, acc);
    s = s.slice(0, trailing.index);
  }
  // "[PATCH]: title" leaves the colon behind
  s = s.replace(/^:[ \t]*/, '').trim();

  return {
    raw: String(raw ?? ''),
    title: s,
    tags: acc.tags,
    version: acc.version ?? 1,
    index: acc.index,
    total: acc.total,
    isReply,
  };
}

function readParen(m: RegExpExecArray, acc: Acc): void {
  if (m[1]) acc.version = Number(m[1]);
  if (m[2] && m[3]) setPosition(acc, m[2], m[3]);
  if (m[4] && m[5]) setPosition(acc, m[4], m[5]);
}

function setPosition(acc: Acc, index: string, total: string): void {
  acc.index = Number(index);
  acc.total = Number(total);
}

function addTag(acc: Acc, tag: string): void {
  const t = tag.toUpperCase();
  if (!t || acc.tags.length >= MAX_TAGS || acc.seen.has(t)) return;
  acc.seen.add(t);
  acc.tags.push(t);
}

// What a bracket group says, in order: a tag, a version, a position (what readBracket finds; applyBracket sets it).
type BracketStep = { tag: string } | { version: number } | { index: string; total: string };

// An archive's subjects repeat a handful of bracket groups ("PATCH", "PATCH v2 3/5", "RFC PATCH") thousands of
// times: each distinct group (of up to MEMO_BRACKET_LENGTH characters) is read once. Bounded: a full memo starts
// over. The steps are shared, and read only.
const bracketSteps = new Map<string, BracketStep[]>();
const MEMO_BRACKETS = 10_000;
const MEMO_BRACKET_LENGTH = 200;

/** Read one bracket group into `acc`: the tags, version and position it says, in its order. */
function applyBracket(content: string, acc: Acc): void {
  let steps = content.length <= MEMO_BRACKET_LENGTH ? bracketSteps.get(content) : undefined;
  if (steps === undefined) {
    steps = [];
    readBracket(content, steps);
    if (content.length <= MEMO_BRACKET_LENGTH) {
      if (bracketSteps.size >= MEMO_BRACKETS) bracketSteps.clear();
      bracketSteps.set(content, steps);
    }
  }
  for (const step of steps) {
    if ('tag' in step) addTag(acc, step.tag);
    else if ('version' in step) acc.version = step.version;
    else setPosition(acc, step.index, step.total);
  }
}

/** One bracket group: "PATCH net-next v2 1/2", "PATCH net,v2,1/2", "PATCH 3 of 5", "GIT PULL", "kexec". */
function readBracket(content: string, steps: BracketStep[]): void {
  // commas separate fields in "[PATCH v6,19/24]" and "[PATCH net,v2,1/2]"
  const tokens = content.split(/[\s,]+/).filter(Boolean);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    // "[PATCH 3 of 5]": Mercurial's patchbomb numbering
    if (/^\d+$/.test(tok) && tokens[i + 1]?.toLowerCase() === 'of' && /^\d+$/.test(tokens[i + 2] ?? '')) {
      steps.push({ index: tok, total: tokens[i + 2] });
      i += 2;
      continue;
    }
    if (tok.toUpperCase() === 'GIT' && tokens[i + 1]?.toUpperCase() === 'PULL') {
      steps.push({ tag: 'GIT PULL' });
      i += 1;
      continue;
    }
    readToken(tok, steps);
  }
}

function readToken(tok: string, steps: BracketStep[]): void {
  // "PATCHv3" and "PATCH1/8", which we have seen in the wild
  const glued = GLUED_RE.exec(tok);
  if (glued) {
    steps.push({ tag: glued[1] });
    readToken(glued[2], steps);
    return;
  }
  const version = VERSION_RE.exec(tok);
  if (version) {
    steps.push({ version: Number(version[1]) });
    return;
  }
  const position = POSITION_RE.exec(tok);
  if (position) {
    steps.push({ index: position[1], total: position[2] });
    return;
  }
  // "RFC/PATCH" is two tags; "iommu/amd" stays one
  const parts = tok.split('/');
  if (parts.length > 1 && parts.every((p) => KNOWN_WORDS.has(p.toUpperCase()))) {
    for (const p of parts) steps.push({ tag: p });
    return;
  }
  steps.push({ tag: tok });
}
