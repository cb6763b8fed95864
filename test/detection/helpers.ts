// Shared helpers for the detection tests: read a fixture diff and index it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extractDiff, parseDiff } from '../../ingest/core/diff.ts';
import { indexCalls, type CallIndex } from '../../ingest/core/call-index.ts';
import { loadWatchRules, type WatchRule } from '../../config/watch-rules.ts';
import type { DiffFile } from '../../ingest/core/model.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/detection/', import.meta.url));
export const DEFAULT_RULES: WatchRule[] = loadWatchRules();

export function fixtureFiles(name: string): DiffFile[] {
  return parseDiff(extractDiff(readFileSync(FIXTURES + name, 'utf8')));
}

export function indexFixture(name: string, rules: WatchRule[] = DEFAULT_RULES, id = name): CallIndex {
  return indexCalls(id, fixtureFiles(name), rules);
}

/** `file|function|path|call|op` rows, sorted, for whole-result comparisons */
export function rows(ix: CallIndex): string[] {
  return ix.callChanges.map((c) => [c.file, c.function, c.path, c.call, c.op].join('|')).sort();
}
