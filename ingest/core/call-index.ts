// The call index: which watched calls a patch adds to or removes from which function, and which watched calls
// it moves ahead of (or behind) other calls. Pure: a patch's own DiffFile[] and the watch rules in, facts out.
//
// Functions. A hunk header names the function the hunk *starts* in (git's guess: the nearest line before the
// hunk that starts at column 0 with a letter). The old side (context + removed lines) and the new side
// (context + added lines) are each walked by a small tracker that follows kernel style:
//   - a column-0 definition line (`static void disable_iommus(void)`, possibly spread over several lines, or
//     a return-type line followed by `name(args)`) starts a function once its `{` is seen; if a `;` comes
//     first it was a prototype and we are at top level;
//   - a column-0 `}` ends the function; any other column-0 code (declaration, struct, initializer,
//     `module_init(...)`) means top level: function null;
//   - labels (`out:`) and preprocessor lines at column 0 change nothing.
// Headers that are not function signatures (labels, struct lines, globals, prototypes, macros in capitals)
// are never taken as function names. A label header (or an empty one) in a later hunk of the same file
// inherits the function the previous hunk was still inside at its end: git picks the nearest column-0 line
// that starts with a letter, so a label header means no definition line lies between the label and the
// hunk, and the label belongs to a function; we assume it is the one still open (documented guess; the first
// hunk of a file with a label header gets null). A header of the form `name(args)` is accepted as a
// function only for lower-case names (upper case is a macro such as SYSCALL_DEFINE3). When the return type
// and `__init` sit on the line before the name, the header carries only `name(args)`: the path class then
// comes from the name alone.
//
// Calls. Code is stripped of comments (`/* */` across lines, `//`) and string/char literals first. A call
// is `identifier(` where the identifier is not a keyword and is not preceded by another identifier (a type:
// that is a definition or declaration). Signature lines, prototypes and preprocessor lines carry no calls.
//
// Net per patch: removed and added occurrences of the same call in the same function of the same file
// cancel (whitespace changes, re-indents, moves inside a function). Occurrences in an unknown function
// cancel only within one hunk.
//
// Order: per function, the sequence of all calls on old-side lines (context + removed, hunks in order)
// and on new-side lines (context + added). For a call the rule's `order` spec selects, every other call
// present in both sequences whose relative position (first occurrences) flipped is listed in nowBefore /
// nowAfter (in the new order).
// Bounded (a 90 KB patch reversing 2,000 calls wrote 74 MB of pairs): each list holds at most MAX_ORDER_NEIGHBOURS
// calls, and one patch yields at most MAX_ORDER_CHANGES order changes, so what a patch stores grows linearly with
// the calls it moves and has a ceiling. Which calls moved at all is found in linear time (a call moved when a call
// after it in the new order was before it in the old, or the other way round), so only those are compared with
// the rest. A real fix moves a call past a few others; the caps only bite on mass reorderings.
import type { CallChange, DiffFile, OrderChange } from './model.ts';
import { compileWatchRule, type CompiledWatchRule, type WatchRule } from './watch.ts';

/** At most this many calls in one order change's nowBefore, and as many in its nowAfter. */
export const MAX_ORDER_NEIGHBOURS = 32;
/** At most this many order changes per patch. */
export const MAX_ORDER_CHANGES = 256;

export interface CallIndex {
  callChanges: CallChange[];
  orderChanges: OrderChange[];
}

/** Renames known from elsewhere (accepted patches over time): a file is watched if any of its names is. */
export type KnownRenames = ReadonlyArray<{ from: string; to: string }>;

// ---- lexical helpers ------------------------------------------------------------------------------

/** identifiers followed by `(` that are not calls */
const NOT_CALLS = new Set([
  'if', 'for', 'while', 'switch', 'return', 'do', 'else', 'case', 'goto', 'sizeof', 'typeof', '__typeof__', '__typeof',
  'alignof', '_Alignof', '__alignof__', 'defined', '__attribute__', '__attribute', 'asm', '__asm__', '__asm', 'volatile',
  '__volatile__', '_Static_assert', 'static_assert', '_Generic',
  'void', 'int', 'char', 'short', 'long', 'unsigned', 'signed', 'float', 'double', 'struct', 'union', 'enum', 'const',
  'static', 'inline', 'extern', 'register', 'auto', 'bool', '_Bool',
]);
/** an identifier before a call name that does not make it a declaration */
const STATEMENT_WORDS = new Set(['return', 'else', 'case', 'do', 'goto', 'sizeof', 'typeof', '__typeof__']);
const LABEL_RE = /^[A-Za-z_]\w*\s*:(?!:)/;
const TYPE_ONLY_RE = /^[A-Za-z_][\w\s*]*$/;
const CALL_RE = /([A-Za-z_]\w*)\s*\(/g;

/**
 * Blank out comments and string/char literal contents, keeping columns. `inComment` carries a `/* ... *\/`
 * comment across lines.
 */
export function stripCode(raw: string, inComment: boolean): { code: string; inComment: boolean } {
  let out = '';
  let i = 0;
  const n = raw.length;
  while (i < n) {
    if (inComment) {
      const end = raw.indexOf('*/', i);
      if (end < 0) { out += ' '.repeat(n - i); i = n; break; }
      out += ' '.repeat(end + 2 - i);
      i = end + 2;
      inComment = false;
      continue;
    }
    const ch = raw[i];
    if (ch === '/' && raw[i + 1] === '*') { inComment = true; out += '  '; i += 2; continue; }
    if (ch === '/' && raw[i + 1] === '/') { out += ' '.repeat(n - i); break; }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < n && raw[j] !== ch) j += raw[j] === '\\' ? 2 : 1;
      const close = Math.min(j, n);
      out += ch + ' '.repeat(Math.max(0, close - i - 1)) + (j < n ? ch : '');
      i = j + 1;
      continue;
    }
    out += ch;
    i++;
  }
  return { code: out, inComment };
}

/** Calls on a line of stripped code, in order: `identifier(` not a keyword and not preceded by a type. */
export function callsIn(code: string): string[] {
  const out: string[] = [];
  CALL_RE.lastIndex = 0;
  for (let m = CALL_RE.exec(code); m; m = CALL_RE.exec(code)) {
    const name = m[1];
    if (NOT_CALLS.has(name)) continue;
    // what precedes the name, ignoring blanks and pointer stars: another identifier means a declaration
    const before = code.slice(0, m.index).replace(/[\s*]+$/, '');
    const prev = /([A-Za-z_]\w*)$/.exec(before);
    if (prev && !STATEMENT_WORDS.has(prev[1])) continue;
    out.push(name);
  }
  return out;
}

interface Signature {
  name: string;
  /** text before the name's `(`: return type, storage class, annotations */
  def: string;
  /** open parentheses left at the end of the line */
  depth: number;
  /** code after the closing parenthesis, when it closed */
  after: string;
}

/**
 * A function signature (definition or prototype) starting on this line of stripped code, else null.
 * `bare`: accept `name(args)` without a return type (lower-case names only).
 */
function parseSignature(code: string, prefix: string | null, bare: boolean): Signature | null {
  const c = code.replace(/__attribute__\s*\(\([^)]*\)\)/g, (s) => ' '.repeat(s.length)).trim();
  const open = c.indexOf('(');
  if (open <= 0) return null;
  const pre = c.slice(0, open);
  if (!/^[\w\s*]+$/.test(pre)) return null;
  const toks = pre.match(/[A-Za-z_]\w*/g) ?? [];
  if (!toks.length) return null;
  const name = toks[toks.length - 1];
  if (NOT_CALLS.has(name)) return null;
  const types = toks.slice(0, -1);
  if (types.some((t) => STATEMENT_WORDS.has(t) || t === 'typedef' || t === 'if' || t === 'while' || t === 'for' || t === 'switch')) return null;
  if (!types.length && !prefix && !(bare && /[a-z]/.test(name))) return null;
  let depth = 0;
  let k = open;
  for (; k < c.length; k++) {
    if (c[k] === '(') depth++;
    else if (c[k] === ')' && --depth === 0) break;
  }
  const after = depth === 0 ? c.slice(k + 1).trim() : '';
  if (!types.length && !prefix && depth === 0 && after !== '' && !after.startsWith('{')) return null; // `foo(x) bar` is no definition
  return { name, def: `${prefix ? prefix + ' ' : ''}${pre}`, depth, after };
}

/** After the parameters: `{` opens the body, `;` `=` `,` make it a declaration, anything else: wait. */
function sigOutcome(after: string): 'open' | 'decl' | 'wait' {
  if (after.startsWith('{')) return 'open';
  if (/^[;=,]/.test(after)) return 'decl';
  return 'wait';
}

interface Fn {
  name: string;
  def: string;
}

interface Fed {
  code: string;
  fn: Fn | null;
  /** the line carries no calls (comment, preprocessor, signature) */
  skip: boolean;
}

/** Follows which function the lines of one side (old or new) of a file's hunks are in. */
class SideTracker {
  fn: Fn | null = null;
  private inComment = false;
  private inMacro = false;
  private pending: Signature | null = null;
  private prefix: string | null = null;

  /** Start a hunk: `header` is git's function line; `first` says whether this is the file's first hunk. */
  startHunk(header: string, first: boolean): void {
    this.inComment = false;
    this.inMacro = false;
    this.pending = null;
    this.prefix = null;
    const h = stripCode(header, false).code.trim();
    if (!h || LABEL_RE.test(h)) {
      // inside some function; the one still open at the end of the previous hunk, if any (see header note)
      if (first) this.fn = null;
      return;
    }
    const sig = parseSignature(h, null, true);
    if (sig && !(sig.depth === 0 && sigOutcome(sig.after) === 'decl')) {
      this.fn = { name: sig.name, def: h };
      return;
    }
    this.fn = null; // struct, global, prototype, macro: top level
    if (!sig && TYPE_ONLY_RE.test(h)) this.prefix = h;
  }

  feed(raw: string): Fed {
    // a hunk may start inside a block comment: ` * text` and ` */` lines are comment continuations
    // (kernel style); such a line is comment up to its `*/`, or entirely, without opening a comment state
    let raw0 = raw;
    if (!this.inComment && /^\s*\*(?:\s|\/|$)/.test(raw)) {
      const end = raw.indexOf('*/');
      if (end < 0) return { code: ' '.repeat(raw.length), fn: this.fn, skip: true };
      raw0 = ' '.repeat(end + 2) + raw.slice(end + 2);
    }
    const s = stripCode(raw0, this.inComment);
    this.inComment = s.inComment;
    const code = s.code;
    const trimmed = code.trim();
    if (!trimmed) return { code, fn: this.fn, skip: true };
    if (this.inMacro || trimmed.startsWith('#')) {
      this.inMacro = /\\\s*$/.test(code);
      return { code, fn: this.fn, skip: true };
    }
    if (this.pending) return this.continueSignature(code, trimmed);
    const col0 = /^\S/.test(raw) && /^\S/.test(code);
    if (!col0) return { code, fn: this.fn, skip: false };
    if (trimmed.startsWith('}')) {
      this.fn = null;
      this.prefix = null;
      return { code, fn: null, skip: true };
    }
    if (trimmed.startsWith('{')) return { code, fn: this.fn, skip: true };
    if (LABEL_RE.test(trimmed)) return { code, fn: this.fn, skip: false };
    const sig = parseSignature(trimmed, this.prefix, false);
    this.prefix = null;
    if (sig) {
      this.fn = null;
      if (sig.depth > 0) this.pending = sig;
      else {
        const o = sigOutcome(sig.after);
        if (o === 'open') this.fn = { name: sig.name, def: sig.def };
        else if (o === 'wait') this.pending = sig;
      }
      return { code, fn: null, skip: true };
    }
    this.fn = null;
    if (TYPE_ONLY_RE.test(trimmed)) {
      this.prefix = trimmed;
      return { code, fn: null, skip: true };
    }
    return { code, fn: null, skip: false }; // top-level code
  }

  private continueSignature(code: string, trimmed: string): Fed {
    const p = this.pending!;
    let after = trimmed;
    const closedBefore = p.depth === 0;
    if (p.depth > 0) {
      let k = 0;
      for (; k < code.length && p.depth > 0; k++) {
        if (code[k] === '(') p.depth++;
        else if (code[k] === ')') p.depth--;
      }
      if (p.depth > 0) return { code, fn: null, skip: true };
      after = code.slice(k).trim();
    }
    const o = sigOutcome(after);
    if (o === 'open') {
      this.fn = { name: p.name, def: p.def };
      this.pending = null;
    } else if (o === 'decl') {
      this.fn = null;
      this.pending = null;
    } else if (closedBefore && !after.startsWith('__')) {
      // neither `{` nor an attribute (`__releases(x)`) after the parameters: it was no definition after all
      this.pending = null;
      return this.feed(code);
    }
    return { code, fn: null, skip: true };
  }
}

interface LineFact {
  op: 'context' | 'add' | 'del';
  text: string;
  hunk: number;
  oldFn: Fn | null;
  newFn: Fn | null;
  /** calls on the line as the old side sees it (context, del) and the new side (context, add) */
  oldCalls: string[];
  newCalls: string[];
}

/** Walk a file's hunks with one tracker per side. */
function readFile(file: DiffFile): LineFact[] {
  const oldT = new SideTracker();
  const newT = new SideTracker();
  const out: LineFact[] = [];
  file.hunks.forEach((h, hi) => {
    oldT.startHunk(h.header, hi === 0);
    newT.startHunk(h.header, hi === 0);
    for (const l of h.lines) {
      const f: LineFact = { op: l.op, text: l.text, hunk: hi, oldFn: null, newFn: null, oldCalls: [], newCalls: [] };
      if (l.op !== 'add') {
        const r = oldT.feed(l.text);
        f.oldFn = r.fn;
        if (!r.skip) f.oldCalls = callsIn(r.code);
      }
      if (l.op !== 'del') {
        const r = newT.feed(l.text);
        f.newFn = r.fn;
        if (!r.skip) f.newCalls = callsIn(r.code);
      }
      out.push(f);
    }
  });
  return out;
}

function watchedBy(file: DiffFile, rules: CompiledWatchRule[], aliases: Map<string, string[]> | null): CompiledWatchRule[] {
  const names = [file.path];
  if (file.oldPath && file.oldPath !== file.path) names.push(file.oldPath);
  if (aliases) for (const n of [...names]) for (const a of aliases.get(n) ?? []) if (!names.includes(a)) names.push(a);
  return rules.filter((r) => names.some((n) => r.matchesFile(n)));
}

/** All names connected to a name by the known renames (both directions, transitively). */
function aliasMap(renames: KnownRenames): Map<string, string[]> {
  const adj = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (!adj.has(a)) adj.set(a, new Set());
    adj.get(a)!.add(b);
  };
  for (const r of renames) { link(r.from, r.to); link(r.to, r.from); }
  const out = new Map<string, string[]>();
  for (const start of adj.keys()) {
    const seen = new Set([start]);
    const todo = [start];
    while (todo.length) for (const nb of adj.get(todo.pop()!) ?? []) if (!seen.has(nb)) { seen.add(nb); todo.push(nb); }
    seen.delete(start);
    out.set(start, [...seen]);
  }
  return out;
}

const norm = (s: string) => s.replace(/\s+/g, '');

/**
 * The functions a patch deletes whole: of `names` (functions it removes a call from, per file), those whose
 * every line the diff shows on the old side is removed and which no line of the new side is in (the fix rules
 * tell "removed with its whole function" from "removed from a function that stays" by it).
 *
 * @example deletedFunctions(parseDiff(text), [{ file: 'drivers/iommu/amd_iommu.c', function: 'iommu_flush_all' }])
 */
export function deletedFunctions(files: DiffFile[], names: { file: string; function: string }[]): { file: string; function: string }[] {
  const out: { file: string; function: string }[] = [];
  for (const file of files) {
    const wanted = names.filter((n) => n.file === file.path || n.file === file.oldPath).map((n) => n.function);
    if (!wanted.length || !file.hunks.length) continue;
    const facts = readFile(file);
    for (const fn of new Set(wanted)) {
      let removed = false, kept = false;
      for (const f of facts) {
        if (f.oldFn?.name === fn) { if (f.op === 'del') removed = true; else kept = true; }
        if (f.newFn?.name === fn) kept = true;
        if (kept) break;
      }
      if (removed && !kept) out.push({ file: file.path, function: fn });
    }
  }
  return out;
}

/**
 * Index one patch's own diff: watched calls added/removed per function (net), and order changes.
 * Files no rule covers (under any of their names) are skipped before anything else is done.
 *
 * @example indexCalls('id', parseDiff(extractDiff(mailBody)), loadWatchRules()).callChanges
 *   // [{ messageId: 'id', file: 'arch/x86/kernel/amd_iommu.c', function: 'amd_iommu_init_dma_ops', path: 'init',
 *   //    call: 'amd_iommu_flush_all_devices', op: 'added', line: '\tamd_iommu_flush_all_devices();', rule: 'amd_iommu' }]
 */
export function indexCalls(messageId: string, files: DiffFile[], rules: WatchRule[], renames?: KnownRenames): CallIndex {
  const callChanges: CallChange[] = [];
  const orderChanges: OrderChange[] = [];
  if (!files.length || !rules.length) return { callChanges, orderChanges };
  const compiled = rules.map(compileWatchRule);
  const aliases = renames && renames.length ? aliasMap(renames) : null;
  for (const file of files) {
    if (!file.hunks.length) continue;
    const covering = watchedBy(file, compiled, aliases);
    if (!covering.length) continue;
    const facts = readFile(file);
    for (const rule of covering) {
      callChanges.push(...fileCallChanges(messageId, file.path, facts, rule));
      if (orderChanges.length < MAX_ORDER_CHANGES) orderChanges.push(...fileOrderChanges(messageId, file.path, facts, rule, MAX_ORDER_CHANGES - orderChanges.length));
    }
  }
  return { callChanges, orderChanges };
}

function fileCallChanges(messageId: string, path: string, facts: LineFact[], rule: CompiledWatchRule): CallChange[] {
  interface Occ { seq: number; change: CallChange }
  const groups = new Map<string, { removed: Occ[]; added: Occ[] }>();
  let seq = 0;
  for (const f of facts) {
    if (f.op === 'context') continue;
    const fn = f.op === 'del' ? f.oldFn : f.newFn;
    const calls = f.op === 'del' ? f.oldCalls : f.newCalls;
    for (const call of calls) {
      if (!rule.isCall(call)) continue;
      const change: CallChange = {
        messageId,
        file: path,
        function: fn ? fn.name : null,
        path: fn ? rule.pathOf(fn.name, fn.def) : null,
        call,
        op: f.op === 'del' ? 'removed' : 'added',
        line: f.text,
        rule: rule.rule.name,
      };
      const key = `${fn ? fn.name : `\0hunk${f.hunk}`}\0${call}`;
      if (!groups.has(key)) groups.set(key, { removed: [], added: [] });
      groups.get(key)![f.op === 'del' ? 'removed' : 'added'].push({ seq: seq++, change });
    }
  }
  const kept: Occ[] = [];
  for (const { removed, added } of groups.values()) {
    // pair identical lines first (whitespace-only changes), then whatever is left, in order
    const addLeft = [...added];
    const remLeft: Occ[] = [];
    for (const r of removed) {
      const i = addLeft.findIndex((a) => norm(a.change.line) === norm(r.change.line));
      if (i >= 0) addLeft.splice(i, 1);
      else remLeft.push(r);
    }
    const pairs = Math.min(remLeft.length, addLeft.length);
    kept.push(...remLeft.slice(pairs), ...addLeft.slice(pairs));
  }
  return kept.sort((a, b) => a.seq - b.seq).map((o) => o.change);
}

/** An identifier followed by `(`, not inside another identifier. */
const CALLED_RE = /(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;

/**
 * Per position of a sequence (old positions listed in the new order): whether that element changed its order
 * with any other, i.e. some element after it has a smaller old position or some element before it a larger one.
 * Linear: a running maximum from the left and a running minimum from the right.
 */
export function movedCalls(oldPos: number[]): boolean[] {
  const n = oldPos.length;
  const moved = new Array<boolean>(n).fill(false);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (max > oldPos[i]!) moved[i] = true;
    max = Math.max(max, oldPos[i]!);
  }
  let min = Infinity;
  for (let i = n - 1; i >= 0; i--) {
    if (min < oldPos[i]!) moved[i] = true;
    min = Math.min(min, oldPos[i]!);
  }
  return moved;
}

function fileOrderChanges(messageId: string, path: string, facts: LineFact[], rule: CompiledWatchRule, budget: number): OrderChange[] {
  if (!rule.rule.order) return [];
  const before = new Map<string, string[]>();
  const after = new Map<string, string[]>();
  const defs = new Map<string, Fn>();
  const changed = new Map<string, string[]>(); // function -> changed lines with their sign
  const push = (m: Map<string, string[]>, k: string, v: string[]) => {
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(...v);
  };
  for (const f of facts) {
    if (f.op !== 'add' && f.oldFn) {
      push(before, f.oldFn.name, f.oldCalls);
      if (!defs.has(f.oldFn.name)) defs.set(f.oldFn.name, f.oldFn);
      if (f.op === 'del') push(changed, f.oldFn.name, [`-${f.text}`]);
    }
    if (f.op !== 'del' && f.newFn) {
      push(after, f.newFn.name, f.newCalls);
      defs.set(f.newFn.name, f.newFn);
      if (f.op === 'add') push(changed, f.newFn.name, [`+${f.text}`]);
    }
  }
  // a function's changed lines by the names called on them (`name(` after a non-identifier character), read once
  // rather than once per order change
  const byCall = new Map<string, Map<string, string[]>>();
  const changedLinesCalling = (fnName: string, call: string): string[] => {
    let m = byCall.get(fnName);
    if (!m) {
      byCall.set(fnName, (m = new Map()));
      for (const line of changed.get(fnName) ?? []) {
        const seen = new Set<string>();
        for (const x of stripCode(line.slice(1), false).code.matchAll(CALLED_RE)) {
          if (seen.has(x[1]!)) continue;
          seen.add(x[1]!);
          if (!m.has(x[1]!)) m.set(x[1]!, []);
          m.get(x[1]!)!.push(line);
        }
      }
    }
    return m.get(call) ?? [];
  };
  const out: OrderChange[] = [];
  for (const [fnName, seqB] of before) {
    const seqA = after.get(fnName);
    if (!seqA) continue;
    const posB = new Map<string, number>();
    const posA = new Map<string, number>();
    seqB.forEach((c, i) => { if (!posB.has(c)) posB.set(c, i); });
    seqA.forEach((c, i) => { if (!posA.has(c)) posA.set(c, i); });
    const common = [...posA.keys()].filter((c) => posB.has(c)); // in new order
    const oldPos = common.map((c) => posB.get(c)!);
    const moved = movedCalls(oldPos);
    for (let i = 0; i < common.length && out.length < budget; i++) {
      const call = common[i]!;
      if (!moved[i] || !rule.isOrdered(call)) continue;
      const nowBefore: string[] = [];
      const nowAfter: string[] = [];
      const was = oldPos[i]!;
      // others in the new order: those before i that were after it, those after i that were before it
      for (let j = 0; j < common.length && (nowBefore.length < MAX_ORDER_NEIGHBOURS || nowAfter.length < MAX_ORDER_NEIGHBOURS); j++) {
        if (j === i) continue;
        const wasBefore = was < oldPos[j]!;
        if (j > i && !wasBefore && nowBefore.length < MAX_ORDER_NEIGHBOURS) nowBefore.push(common[j]!);
        else if (j < i && wasBefore && nowAfter.length < MAX_ORDER_NEIGHBOURS) nowAfter.push(common[j]!);
      }
      if (!nowBefore.length && !nowAfter.length) continue;
      const fn = defs.get(fnName)!;
      out.push({
        messageId,
        file: path,
        function: fnName,
        path: rule.pathOf(fn.name, fn.def),
        call,
        nowBefore,
        nowAfter,
        rule: rule.rule.name,
        lines: changedLinesCalling(fnName, call),
      });
    }
  }
  return out;
}
