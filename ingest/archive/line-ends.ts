// Old Mac line ends: a file whose lines end in a lone CR ("\r", no LF anywhere near) is read as if they ended in LF.
// Without this such a file has no line at all for the mbox reader or the MIME parser, and a whole archive became
// one quarantined "empty message".
//
// Rule: the FIRST line ending of a stream decides. When it is a CR not followed by LF, every CR of the stream
// that is not followed by LF becomes LF (CRLF pairs, should any appear later, are left alone). Otherwise nothing is
// touched. The replacement is byte for byte, so offsets stay offsets in the original (decompressed) stream. When
// no line ending shows within the first DECIDE_BYTES, the stream is passed through untouched.
// Hand-written: a byte-level rule over a stream, no library does it.

const CR = 0x0d;
const NL = 0x0a;
const DECIDE_BYTES = 64 * 1024;

/** 'cr' when the first line ending in `b` is a lone CR, 'other' when it is LF or CRLF, null when undecided yet. */
export function firstLineEnd(b: Buffer, atEnd: boolean): 'cr' | 'other' | null {
  for (let i = 0; i < b.length; i++) {
    if (b[i] === NL) return 'other';
    if (b[i] === CR) {
      if (i + 1 < b.length) return b[i + 1] === NL ? 'other' : 'cr';
      return atEnd ? 'cr' : null;
    }
  }
  return atEnd || b.length >= DECIDE_BYTES ? 'other' : null;
}

/** Lone CRs as LF in `b`, in place; a CR as its last byte is converted only when `final`. */
function convert(b: Buffer, final: boolean): void {
  for (let i = b.indexOf(CR); i !== -1; i = b.indexOf(CR, i + 1)) {
    if (i + 1 < b.length ? b[i + 1] !== NL : final) b[i] = NL;
  }
}

/** One whole message or file (a maildir file): a copy with lone CRs as LF when its first line ending is one. */
export function loneCrAsLf(bytes: Buffer): Buffer {
  if (firstLineEnd(bytes, true) !== 'cr') return bytes;
  const out = Buffer.from(bytes);
  convert(out, true);
  return out;
}

/** The same over a stream of chunks (chunks are copied before they are changed; none is held past DECIDE_BYTES). */
export async function* loneCrAsLfStream(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let mode: 'cr' | 'other' | null = null;
  let held: Buffer[] = [];
  let heldLen = 0;
  let carry: Buffer | null = null; // cr mode: a chunk's last byte was CR, it waits for the next byte
  for await (const chunk of input) {
    if (chunk.length === 0) continue;
    if (mode === 'other') {
      yield chunk;
      continue;
    }
    if (mode === null) {
      held.push(chunk);
      heldLen += chunk.length;
      const all = held.length === 1 ? held[0]! : Buffer.concat(held);
      held = [all];
      mode = firstLineEnd(all, false);
      if (mode === null) continue;
      held = [];
      heldLen = 0;
      if (mode === 'other') {
        yield all;
        continue;
      }
      yield* crChunk(Buffer.from(all));
      continue;
    }
    yield* crChunk(Buffer.from(chunk));
  }
  if (mode === null && heldLen > 0) {
    const all = Buffer.concat(held);
    if (firstLineEnd(all, true) === 'cr') convert(all, true);
    yield all;
  }
  if (carry) yield Buffer.from([NL]); // the stream ended on a lone CR

  function* crChunk(b: Buffer): Generator<Buffer> {
    if (carry) {
      yield Buffer.from([b[0] === NL ? CR : NL]);
      carry = null;
    }
    if (b.length && b[b.length - 1] === CR) {
      carry = b;
      b = b.subarray(0, b.length - 1);
    }
    convert(b, true); // b's last byte is not a CR now, or was one followed by the carried CR: lone either way
    if (b.length) yield b;
  }
}
