// Trailers ("Signed-off-by: ...") and the b4 / Gerrit markers that tie versions of a change together.
import type { Trailer } from './model.ts';

const CANONICAL: ReadonlyMap<string, string> = new Map(
  ['Signed-off-by', 'Acked-by', 'Reviewed-by', 'Tested-by', 'Reported-by', 'Suggested-by', 'Fixes', 'Link', 'Closes', 'Cc']
    .map((n) => [n.toLowerCase(), n] as const),
);

// A trailer starts in column 0: an indented line may be a diff context line or a quoted commit message.
const TRAILER_RE = /^([A-Za-z][A-Za-z-]*)[ \t]*:[ \t]*(\S.*?)[ \t]*\r?$/;
// pipermail writes addresses as "user at host"; inside angle brackets that is safe to undo
const OBFUSCATED_ADDR_RE = /<([^<>\s@]+) at ([^<>\s@]+\.[^<>\s@]+)>/g;

/** What TRAILER_RE asks first, cheaply: a line that starts with a letter and has a colon (most lines of a text have not). */
function mayBeTrailer(line: string): boolean {
  const c = line.charCodeAt(0) | 0x20; // lower case, for a letter
  return c >= 0x61 && c <= 0x7a && line.includes(':');
}

/**
 * The trailers of a text, in order. A trailer starts in column 0, so quoted (`>`) and indented lines
 * never count. Names are matched case-insensitively and returned in canonical case; values are
 * kept as written (trimmed), except that a pipermail-obfuscated `<user at host>` becomes `<user@host>`.
 *
 * @example parseTrailers('Fix.\n\nFixes: abcdef123456 ("x86: foo")\nacked-by: A <a@b.c>\n> Tested-by: quoted <q@q.q>')
 *   // [{ name: 'Fixes', value: 'abcdef123456 ("x86: foo")' }, { name: 'Acked-by', value: 'A <a@b.c>' }]
 */
export function parseTrailers(text: string): Trailer[] {
  const out: Trailer[] = [];
  if (!text) return out;
  for (const line of text.split('\n')) {
    if (!mayBeTrailer(line)) continue;
    const m = TRAILER_RE.exec(line);
    if (!m) continue;
    const name = CANONICAL.get(m[1].toLowerCase());
    if (!name) continue;
    out.push({ name, value: m[2].replace(OBFUSCATED_ADDR_RE, '<$1@$2>') });
  }
  return out;
}

/**
 * The change id of a b4-prepared series (`change-id: 20240101-foo-abc123`, in the cover letter) or a
 * Gerrit `Change-Id: I…` trailer, from unquoted lines; null when none.
 *
 * @example changeIdOf('---\nbase-commit: abc\nchange-id: 20240101-foo-abc123\n') // '20240101-foo-abc123'
 */
export function changeIdOf(text: string): string | null {
  return firstValue(text, 'change-id');
}

/**
 * A `Supersedes:` line's pointer to an earlier version (a Message-ID, without angle brackets), or null.
 *
 * @example supersedesOf('Supersedes: <20240101.abc@host>\n') // '20240101.abc@host'
 */
export function supersedesOf(text: string): string | null {
  const v = firstValue(text, 'supersedes');
  if (!v) return null;
  const bracketed = /<([^<>]+)>/.exec(v);
  const id = (bracketed ? bracketed[1] : v.split(/\s+/)[0]).trim();
  return id || null;
}

function firstValue(text: string, name: string): string | null {
  if (!text) return null;
  for (const line of text.split('\n')) {
    if (!mayBeTrailer(line)) continue;
    const m = TRAILER_RE.exec(line);
    if (m && m[1].toLowerCase() === name) return m[2];
  }
  return null;
}
