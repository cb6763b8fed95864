// A patch's diff as HTML, with the lines that carry watched calls (or a regression's evidence) highlighted.
import { parseDiff } from '../../ingest/core/diff.ts';
import type { DiffFile } from '../../ingest/core/model.ts';
import { html, type SafeHtml } from './html.ts';

export interface Highlight {
  /** file the line is in (either side of a rename matches); null: any file */
  file: string | null;
  op: 'added' | 'removed';
  /** the diff line without its +/- */
  line: string;
  /** what to say about it (title attribute) */
  note?: string;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

function findHit(f: DiffFile, op: 'add' | 'del', text: string, hs: Highlight[]): Highlight | undefined {
  const t = norm(text);
  if (!t) return undefined;
  return hs.find((h) => (h.op === 'added') === (op === 'add') && (h.file === null || h.file === f.path || h.file === f.oldPath) && norm(h.line) === t);
}

export interface DiffViewOptions {
  highlights?: Highlight[];
  /** only these files (by path or old path); default all */
  files?: string[];
  /** a label for the region (aria-label) */
  label?: string;
}

/** Render diff text (as stored in messages.diff_text). */
export function renderDiffText(diffText: string, o: DiffViewOptions = {}): SafeHtml {
  let files: DiffFile[];
  try {
    files = parseDiff(diffText);
  } catch {
    files = [];
  }
  if (!files.length) {
    return diffText ? html`<div class="diff"><pre><code>${diffText}</code></pre></div>` : html`<p class="empty">No diff.</p>`;
  }
  return renderDiff(files, o);
}

export function renderDiff(files: DiffFile[], o: DiffViewOptions = {}): SafeHtml {
  const hs = o.highlights ?? [];
  const shown = o.files ? files.filter((f) => o.files!.includes(f.path) || (f.oldPath !== null && o.files!.includes(f.oldPath))) : files;
  return html`${shown.map((f) => {
    const name = f.oldPath && f.oldPath !== f.path ? `${f.oldPath} → ${f.path}` : f.path;
    const lines: SafeHtml[] = [];
    for (const h of f.hunks) {
      lines.push(html`<span class="ln hunk">@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@${h.header ? ' ' + h.header : ''}</span>`);
      for (const l of h.lines) {
        if (l.op === 'context') {
          lines.push(html`<span class="ln"> ${l.text}</span>`);
          continue;
        }
        const hit = findHit(f, l.op, l.text, hs);
        const cls = l.op === 'add' ? 'add' : 'del';
        const sign = l.op === 'add' ? '+' : '-';
        lines.push(hit
          ? html`<span class="ln ${cls} hit" data-hit="${hit.op}" title="${hit.note ?? `watched call ${hit.op}`}">${sign}${l.text}</span>`
          : html`<span class="ln ${cls}">${sign}${l.text}</span>`);
      }
    }
    return html`<section class="diff" aria-label="${o.label ? `${o.label}: ${f.path}` : `diff of ${f.path}`}">
<div class="file">${name} <span class="muted">(${f.status}, +${f.additions} −${f.deletions})</span></div>
${lines.length ? html`<pre tabindex="0"><code>${lines}</code></pre>` : html`<p class="empty file">no text changes</p>`}
</section>`;
  })}`;
}
