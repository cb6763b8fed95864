// Static files of the dashboard (its stylesheet and script, and uPlot's dist files), read once and
// served from memory with a content hash in their URL, so they can be cached for good.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const UPLOT_DIST = path.dirname(createRequire(import.meta.url).resolve('uplot'));

export interface Asset {
  name: string;
  body: Buffer;
  type: string;
  hash: string;
}

const SOURCES: Record<string, { file: string; type: string }> = {
  'app.css': { file: path.join(HERE, 'static', 'app.css'), type: 'text/css; charset=utf-8' },
  'app.js': { file: path.join(HERE, 'static', 'app.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.js': { file: path.join(UPLOT_DIST, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: path.join(UPLOT_DIST, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'favicon.svg': { file: path.join(HERE, 'static', 'favicon.svg'), type: 'image/svg+xml' },
};

let cache: Map<string, Asset> | null = null;

/** Every asset, loaded on first use. */
export function assets(): Map<string, Asset> {
  if (cache) return cache;
  const m = new Map<string, Asset>();
  for (const [name, s] of Object.entries(SOURCES)) {
    const body = fs.readFileSync(s.file);
    m.set(name, { name, body, type: s.type, hash: crypto.createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  cache = m;
  return m;
}

/** URL of an asset, versioned by its content hash. */
export function assetUrl(name: string): string {
  const a = assets().get(name);
  if (!a) throw new Error(`no dashboard asset ${name}`);
  return `/static/${name}?v=${a.hash}`;
}
