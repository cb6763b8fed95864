// Watch rules: which files are watched, how their functions map to path classes (init, shutdown, ...),
// which calls are indexed, and which calls take part in order fixes. Rules are data (config/watch-rules.json);
// users add rules for other drivers or call patterns without code changes.
//
// `validateWatchRules` is pure: it checks raw data and returns normalized rules, or throws an Error naming the
// first bad field (`watch rule "amd_iommu" field files[1]: must be a non-empty glob string`).
// `loadWatchRules` reads JSON (inline or from a file, default config/watch-rules.json) and validates it.
// Compiling a rule into matchers is the core's (ingest/core/watch.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
// The schema lives in its own module and is imported for its types only: the ingest workers load this one,
// and TypeBox would add some 100 ms to each worker's start.
import type { MatchSpec, PathRule, WatchRule } from './watch-rules-schema.ts';

export type { MatchSpec, PathRule, WatchRule };

export const DEFAULT_WATCH_RULES_FILE = fileURLToPath(new URL('./watch-rules.json', import.meta.url));

// ---- validation ---------------------------------------------------------------------------------

const RULE_FIELDS = ['name', 'description', 'files', 'paths', 'calls', 'order'];
const PATH_FIELDS = ['functions', 'annotations'];
const SPEC_FIELDS = ['contains', 'regex', 'flags'];
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH_NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const FUNCTION_GLOB_RE = /^[A-Za-z0-9_*?[\]{},!^-]+$/;

class RuleError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(rule: string, field: string, message: string): never {
  throw new RuleError(`${rule} field ${field}: ${message}`);
}

function checkFields(rule: string, where: string, obj: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) fail(rule, where ? `${where}.${k}` : k, `unknown field (expected one of ${allowed.join(', ')})`);
  }
}

function checkGlob(rule: string, field: string, v: unknown, kind: 'file' | 'function'): string {
  if (typeof v !== 'string' || v.trim() === '' || v !== v.trim()) fail(rule, field, 'must be a non-empty glob string');
  if (kind === 'file') {
    if (v.startsWith('/')) fail(rule, field, `must be relative to the repository root, got "${v}"`);
  } else if (!FUNCTION_GLOB_RE.test(v)) {
    fail(rule, field, `must be a glob over C identifiers (letters, digits, _, *, ?, [...], {...}), got "${v}"`);
  }
  try {
    picomatch.makeRe(v);
  } catch (e) {
    fail(rule, field, `not a valid glob: ${(e as Error).message}`);
  }
  return v;
}

function checkSpec(rule: string, field: string, v: unknown): MatchSpec {
  if (!isObject(v)) fail(rule, field, 'must be an object with "contains" (array of substrings) and/or "regex"');
  checkFields(rule, field, v, SPEC_FIELDS);
  const out: MatchSpec = {};
  if (v.contains !== undefined) {
    if (!Array.isArray(v.contains) || v.contains.length === 0) fail(rule, `${field}.contains`, 'must be a non-empty array of substrings');
    out.contains = v.contains.map((s, i) => {
      if (typeof s !== 'string' || s === '') fail(rule, `${field}.contains[${i}]`, 'must be a non-empty string');
      return s;
    });
  }
  if (v.flags !== undefined) {
    if (typeof v.flags !== 'string' || !/^[imsu]*$/.test(v.flags)) fail(rule, `${field}.flags`, 'must be a string of regex flags among i, m, s, u');
    if (v.regex === undefined) fail(rule, `${field}.flags`, 'only applies with "regex"');
    out.flags = v.flags;
  }
  if (v.regex !== undefined) {
    if (typeof v.regex !== 'string' || v.regex === '') fail(rule, `${field}.regex`, 'must be a non-empty regular expression string');
    try {
      new RegExp(v.regex, out.flags);
    } catch (e) {
      fail(rule, `${field}.regex`, `invalid regular expression: ${(e as Error).message}`);
    }
    out.regex = v.regex;
  }
  if (!out.contains && !out.regex) fail(rule, field, 'needs "contains" or "regex"');
  return out;
}

function checkRule(v: unknown, i: number, seen: Set<string>): WatchRule {
  let label = `watch rule #${i + 1}`;
  if (!isObject(v)) throw new RuleError(`${label}: must be an object`);
  if (typeof v.name !== 'string' || v.name.trim() === '') fail(label, 'name', 'must be a non-empty string');
  label = `watch rule "${v.name}"`;
  if (seen.has(v.name)) fail(label, 'name', 'duplicate rule name');
  seen.add(v.name);
  checkFields(label, '', v, RULE_FIELDS);
  if (v.description !== undefined && typeof v.description !== 'string') fail(label, 'description', 'must be a string');

  if (!Array.isArray(v.files) || v.files.length === 0) fail(label, 'files', 'must be a non-empty array of glob strings');
  const files = v.files.map((g, k) => checkGlob(label, `files[${k}]`, g, 'file'));

  const paths: Record<string, PathRule> = {};
  if (v.paths !== undefined) {
    if (!isObject(v.paths)) fail(label, 'paths', 'must be an object mapping path class names to {functions, annotations}');
    for (const [cls, spec] of Object.entries(v.paths)) {
      const f = `paths.${cls}`;
      if (!PATH_NAME_RE.test(cls)) fail(label, f, 'path class name must be an identifier (letters, digits, _, -)');
      if (!isObject(spec)) fail(label, f, 'must be an object with "functions" and/or "annotations"');
      checkFields(label, f, spec, PATH_FIELDS);
      const fns = spec.functions ?? [];
      const anns = spec.annotations ?? [];
      if (!Array.isArray(fns)) fail(label, `${f}.functions`, 'must be an array of function-name globs');
      if (!Array.isArray(anns)) fail(label, `${f}.annotations`, 'must be an array of identifiers');
      paths[cls] = {
        functions: fns.map((g, k) => checkGlob(label, `${f}.functions[${k}]`, g, 'function')),
        annotations: anns.map((a, k) => {
          if (typeof a !== 'string' || !IDENT_RE.test(a)) fail(label, `${f}.annotations[${k}]`, 'must be a C identifier such as "__init"');
          return a;
        }),
      };
    }
  }

  if (v.calls === undefined) fail(label, 'calls', 'is required (e.g. {"contains": ["flush"]})');
  const calls = checkSpec(label, 'calls', v.calls);
  const order = v.order === undefined || v.order === null ? null : checkSpec(label, 'order', v.order);
  const rule: WatchRule = { name: v.name, files, paths, calls, order };
  if (typeof v.description === 'string') rule.description = v.description;
  return rule;
}

/**
 * Check raw watch-rule data (an array of rules) and return normalized rules (defaults filled in).
 * Throws an Error naming the rule and the bad field.
 *
 * @example validateWatchRules([{ name: 'x', files: ['a/*.c'], calls: { contains: ['flush'] } }])
 *   // [{ name: 'x', files: ['a/*.c'], paths: {}, calls: { contains: ['flush'] }, order: null }]
 * @example validateWatchRules([{ name: 'x', files: ['a/*.c', ''], calls: { contains: ['flush'] } }])
 *   // throws 'watch rule "x" field files[1]: must be a non-empty glob string'
 */
export function validateWatchRules(data: unknown): WatchRule[] {
  if (!Array.isArray(data)) throw new Error('watch rules: must be an array of rules');
  const seen = new Set<string>();
  try {
    return data.map((r, i) => checkRule(r, i, seen));
  } catch (e) {
    if (e instanceof RuleError) throw new Error(e.message);
    throw e;
  }
}

/**
 * Read watch-rule data: with no argument the shipped defaults (config/watch-rules.json); a string that starts
 * with `[` is JSON text, any other string a file path. Returns the parsed data as written (for hashing or
 * sending to workers) after checking it with `validateWatchRules`, so a bad file fails at start-up.
 */
export function readWatchRulesData(jsonOrPath?: string): unknown {
  const inline = typeof jsonOrPath === 'string' && /^\s*[[{]/.test(jsonOrPath);
  const file = jsonOrPath ?? DEFAULT_WATCH_RULES_FILE;
  let text: string;
  if (inline) text = jsonOrPath as string;
  else {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`watch rules file ${file}: cannot read: ${(e as Error).message}`);
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`watch rules ${inline ? '(inline JSON)' : `file ${file}`}: invalid JSON: ${(e as Error).message}`);
  }
  try {
    validateWatchRules(data);
  } catch (e) {
    throw new Error(`${inline ? '' : `${file}: `}${(e as Error).message}`);
  }
  return data;
}

/**
 * Load and validate watch rules: no argument, JSON text or a file path (see `readWatchRulesData`), or data
 * already parsed.
 *
 * @example loadWatchRules()[0].name // 'amd_iommu'
 */
export function loadWatchRules(jsonOrPath?: unknown): WatchRule[] {
  const data = jsonOrPath === undefined || typeof jsonOrPath === 'string' ? readWatchRulesData(jsonOrPath) : jsonOrPath;
  return validateWatchRules(data);
}
