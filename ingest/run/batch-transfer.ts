// A batch of raw messages as one transferable buffer: the main thread hands the bytes to a worker
// without copying them per message (a Buffer cloned alone drags its whole pool slab along).
import type { ArchiveFormat, RawMessage } from '../core/model.ts';
import type { BatchCounts, ResumePoint } from '../store/store.ts';

export interface BatchJob {
  id: number;
  sources: string[];
  format: ArchiveFormat[];
  bytes: ArrayBuffer;
  /** per message: its length in `bytes`, its archive offset, its separator date (ms, NaN for none) */
  lengths: number[];
  offsets: number[];
  dates: number[];
  /** per message over the reader's limit: [index, size, limit] */
  overLimit: [number, number, number][];
  /** indexes of the messages that are deletions (RawMessage.purged) */
  purged: number[];
  resume: ResumePoint | null;
}

export type WorkerReply =
  | { type: 'parsed'; id: number }
  | { type: 'committed'; id: number; counts: BatchCounts }
  | { type: 'error'; message: string };

/**
 * Pack messages of one archive into a job (the job's `bytes` is meant to be transferred: a lone big message's own
 * buffer is the job's, see ownBuffer).
 */
export function packBatch(id: number, raws: RawMessage[], resume: ResumePoint | null): BatchJob {
  const bytes = ownBuffer(raws) ?? joined(raws);
  return {
    id, bytes, resume,
    sources: raws.map((r) => r.source),
    format: raws.map((r) => r.format),
    lengths: raws.map((r) => r.bytes.length),
    offsets: raws.map((r) => r.offset),
    dates: raws.map((r) => (r.separatorDate ? r.separatorDate.getTime() : NaN)),
    overLimit: raws.flatMap((r, i): [number, number, number][] => (r.overLimit ? [[i, r.overLimit.size, r.overLimit.limit]] : [])),
    purged: raws.flatMap((r, i) => (r.purged ? [i] : [])),
  };
}

/**
 * The buffer of a batch of one message whose bytes are the whole of it (a big message: the readers copy each
 * message out of their own buffers): handed on as it is, not copied, and no longer readable here once transferred.
 */
function ownBuffer(raws: RawMessage[]): ArrayBuffer | null {
  if (raws.length !== 1) return null;
  const b = raws[0].bytes;
  return b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.byteLength > 1 << 16 ? b.buffer : null;
}

function joined(raws: RawMessage[]): ArrayBuffer {
  let total = 0;
  for (const r of raws) total += r.bytes.length;
  const bytes = new ArrayBuffer(total);
  const view = new Uint8Array(bytes);
  let at = 0;
  for (const r of raws) {
    view.set(r.bytes, at);
    at += r.bytes.length;
  }
  return bytes;
}

/** The messages of a job, as views on its buffer. */
export function unpackBatch(job: BatchJob): RawMessage[] {
  const out: RawMessage[] = [];
  const purged = new Set(job.purged);
  let at = 0;
  job.lengths.forEach((len, i) => {
    const d = job.dates[i];
    out.push({
      bytes: Buffer.from(job.bytes, at, len), source: job.sources[i], offset: job.offsets[i],
      separatorDate: Number.isNaN(d) ? null : new Date(d), format: job.format[i],
      ...(purged.has(i) ? { purged: true } : {}),
    });
    at += len;
  });
  for (const [i, size, limit] of job.overLimit) out[i].overLimit = { size, limit };
  return out;
}
