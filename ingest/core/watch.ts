// Compiled watch rules: a validated rule (config/watch-rules.ts reads and validates them) turned into matchers
// (picomatch globs for files and function names, substring/regex call specs, annotation tokens), cached per
// rule object; and the rules' identity (rulesHash), which the store records beside each call index. Pure.
import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import type { MatchSpec, WatchRule } from '../../config/watch-rules-schema.ts';

export type { WatchRule };

export interface CompiledWatchRule {
  rule: WatchRule;
  /** the path, or its name before a rename, is covered by the rule's file globs */
  matchesFile(path: string): boolean;
  /** the identifier is a watched call */
  isCall(identifier: string): boolean;
  /** the identifier takes part in order fixes */
  isOrdered(identifier: string): boolean;
  /**
   * Path class of a function, from its name (globs of every class, in declared order) and then from its
   * definition text (annotation tokens such as `__init` before the name). null when neither says.
   */
  pathOf(fn: string, definition: string): string | null;
}

function specMatcher(spec: MatchSpec | null): (id: string) => boolean {
  if (!spec) return () => false;
  const subs = spec.contains ?? [];
  const re = spec.regex ? new RegExp(spec.regex, spec.flags) : null;
  return (id) => subs.some((s) => id.includes(s)) || (re !== null && re.test(id));
}

const compiled = new WeakMap<WatchRule, CompiledWatchRule>();

/** Matchers for a validated rule (cached per rule object). */
export function compileWatchRule(rule: WatchRule): CompiledWatchRule {
  const hit = compiled.get(rule);
  if (hit) return hit;
  const fileRe = rule.files.map((g) => picomatch.makeRe(g, { dot: true }));
  const classes = Object.entries(rule.paths).map(([name, p]) => ({
    name,
    fns: p.functions.map((g) => picomatch.makeRe(g)),
    anns: p.annotations.map((a) => new RegExp(`(?:^|[^A-Za-z0-9_])${a}(?![A-Za-z0-9_])`)),
  }));
  const c: CompiledWatchRule = {
    rule,
    matchesFile: (path) => fileRe.some((re) => re.test(path)),
    isCall: specMatcher(rule.calls),
    isOrdered: specMatcher(rule.order),
    pathOf(fn, definition) {
      for (const k of classes) if (k.fns.some((re) => re.test(fn))) return k.name;
      // annotations count only before the name (`static int __init foo(void)`), not in the parameters
      const at = definition.search(new RegExp(`(?:^|[^A-Za-z0-9_])${fn}\\s*\\(`));
      const head = at >= 0 ? definition.slice(0, at + 1) : definition;
      for (const k of classes) if (k.anns.some((re) => re.test(head))) return k.name;
      return null;
    },
  };
  compiled.set(rule, c);
  return c;
}

/** The identity of a set of rules as read (before validation): a call index records the one it was taken with. */
export function rulesHash(rulesData: unknown): string {
  return createHash('sha256').update(JSON.stringify(rulesData)).digest('hex').slice(0, 16);
}
