// HTML building for the dashboard: one escape function, and a tagged template that escapes every
// interpolated value unless it is already-built markup (a SafeHtml). Mail content (subjects, names,
// diff lines) only ever reaches a page through these.
import { bareMessageId, loreLink } from '../data/links.ts';

/** Markup that has been built (and escaped) by `html` — interpolating it does not escape it again. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escape text for an element body or a quoted attribute value. */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

export type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(v: Interpolation): string {
  if (v === null || v === undefined || v === false || v === true) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(v);
}

/**
 * Tagged template: `html\`<p>${subject}</p>\`` escapes `subject`; SafeHtml values and arrays of them are
 * inserted as they are; null, undefined and booleans render as nothing (so `${cond && html\`...\`}` works).
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Join pieces of markup with a separator (escaped if it is a plain string). */
export function join(items: readonly Interpolation[], sep: Interpolation = ''): SafeHtml {
  return new SafeHtml(items.map(render).join(render(sep)));
}

/** JSON for a `<script type="application/json">` data block: `<` escaped so no tag can close it. */
export function jsonData(value: unknown): SafeHtml {
  return new SafeHtml(JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029'));
}

/** A query string from the non-empty entries, with a leading '?' (or '' when none). */
export function queryString(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? '?' + s : '';
}

// ---- links --------------------------------------------------------------------------------------

export const hrefPatch = (messageId: string) => `/patches/${encodeURIComponent(bareMessageId(messageId))}`;
export const hrefThread = (id: number | string, current?: string) =>
  `/threads/${encodeURIComponent(String(id))}${current ? `?m=${encodeURIComponent(bareMessageId(current))}` : ''}`;
export const hrefRegression = (id: number | string) => `/regressions/${encodeURIComponent(String(id))}`;
export const hrefFunction = (file: string, fn: string) => `/functions/${encodeURIComponent(file)}/${encodeURIComponent(fn)}`;
export const hrefRaw = (messageId: string) => `/api/messages/${encodeURIComponent(bareMessageId(messageId))}/raw`;
/** the message on lore, in its own list's inbox or under its configured archive URL (else lore's /r/ redirect) */
export const hrefLore = (messageId: string, list?: string | null, base?: string | null) => loreLink(list, messageId, base);

// ---- dates --------------------------------------------------------------------------------------

/** '2010-03-31' from an ISO date, '' for none. */
export function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}

/** '2010-03-31 14:02 UTC' */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return 'no date';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** How long ago, in the largest sensible unit: '3 days', '5 months', '14 years'. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'unknown age';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return 'unknown age';
  const days = Math.floor((now - t) / 864e5);
  if (days < 1) return 'today';
  const unit = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (days < 60) return unit(days, 'day');
  if (days < 730) return unit(Math.floor(days / 30.44), 'month');
  return unit(Math.floor(days / 365.25), 'year');
}

/** `<time>` element with the ISO date as its datetime. */
export function timeEl(iso: string | null | undefined, text = dateTime(iso)): SafeHtml {
  if (!iso) return html`<span class="muted">no date</span>`;
  return html`<time datetime="${iso}">${text}</time>`;
}
