// The import rules of the layout (issue 12), as data, and the checker that applies them to a source tree.
// Imports are read with TypeScript's parser (static, type-only, dynamic `import()`, `require`, `import('x')` types),
// so comments and strings never count; SQL is found with TypeScript's type checker: a call of a method that
// better-sqlite3's types declare (a Database's prepare/exec/pragma/transaction..., a Statement's run/get/all/iterate),
// whatever the handle is named, so `regex.exec()` or `map.get()` never count and a handle reached through
// `ctx.db` or a parameter does. Only `close()` is not SQL. test/architecture.test.ts runs it on the real tree and on
// small trees that break each rule.
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** The application's folders; test/ and bench/ are tools and may reach anything. */
export const SCANNED = ['ingest', 'server', 'config'];

export const MAIL_LIBS = ['mailparser', 'libmime', 'libqp', 'libbase64', 'iconv-lite'];
/** Node modules the pure core may use: they compute, they read and write nothing. */
export const PURE_BUILTINS = ['crypto', 'buffer', 'util', 'string_decoder'];

/**
 * Layers, first matching prefix wins. A few files are layers of their own because of what they are, not where
 * they sit: db.ts (open + migrate, the handle's type: what a surface may hold), the writer store.ts (only ingest's
 * run and the server's entry points may hold it), the watch-rule schema (types the core compiles), the API
 * schemas and the error model (shapes every server layer shares), and ingest/run/commands.ts (the writes the
 * routes call).
 */
export const LAYERS: [layer: string, prefix: string][] = [
  ['core', 'ingest/core/'],
  ['mail', 'ingest/mail/'],
  ['archive', 'ingest/archive/'],
  ['store-open', 'ingest/store/db.ts'],
  ['store', 'ingest/store/'],
  ['commands', 'ingest/run/commands.ts'],
  ['run', 'ingest/run/'],
  ['rules-schema', 'config/watch-rules-schema.ts'],
  ['rules', 'config/watch-rules.ts'],
  ['settings', 'config/'],
  ['api-shapes', 'server/schemas/'],
  ['api-shapes', 'server/plugins/errors.ts'],
  ['context', 'server/context.ts'],
  ['data', 'server/data/'],
  ['plugins', 'server/plugins/'],
  ['routes', 'server/routes/'],
  ['dashboard', 'server/dashboard/'],
  ['digest', 'server/digest/'],
  ['app', 'server/app.ts'],
  ['entry', 'server/serve.ts'],
  ['entry', 'server/cli.ts'],
  ['server', 'server/'],
];

const VIEWS = ['core', 'store-open', 'commands', 'api-shapes', 'context', 'data', 'plugins'];

/**
 * What each layer may import besides itself ("nothing imports upward"). `x:type` allows type-only imports of x.
 * `*` is everything.
 */
export const MAY_IMPORT: Record<string, string[]> = {
  core: ['rules-schema:type'],
  mail: ['core'],
  archive: ['core'],
  'store-open': ['core'],
  store: ['core', 'store-open'],
  commands: ['core', 'store-open', 'store', 'run', 'rules-schema', 'rules'],
  run: ['core', 'mail', 'archive', 'store-open', 'store', 'rules-schema', 'rules', 'settings:type'],
  'rules-schema': [],
  rules: ['rules-schema'],
  settings: ['core', 'rules-schema', 'rules', 'api-shapes'],
  'api-shapes': ['core'],
  context: ['store-open', 'settings:type'],
  data: ['core', 'store-open', 'api-shapes'],
  plugins: ['core', 'store-open', 'api-shapes', 'context', 'data', 'settings:type'],
  routes: VIEWS,
  dashboard: VIEWS,
  digest: [...VIEWS, 'settings'],
  app: ['core', 'api-shapes', 'context', 'data', 'plugins', 'routes', 'dashboard', 'digest', 'settings:type'],
  entry: ['*'],
  server: ['*'],
};

export interface Import {
  /** repo-relative path of the importing file */
  file: string;
  line: number;
  spec: string;
  /** `node:fs`, `pkg:mailparser` (package name, subpath dropped), or a repo-relative path */
  target: string;
  typeOnly: boolean;
}

export interface Violation {
  rule: string;
  file: string;
  line: number;
  detail: string;
}

export function layerOf(file: string): string | null {
  for (const [layer, prefix] of LAYERS) if (prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix) return layer;
  return null;
}

function targetOf(file: string, spec: string): string {
  if (spec.startsWith('.')) return path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
  if (isBuiltin(spec)) return `node:${spec.replace(/^node:/, '').split('/')[0]}`;
  const parts = spec.split('/');
  return `pkg:${spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]}`;
}

/** Every import of one file's text (static, re-exports, `import()`, `require()`, `import('x')` in types). */
export function importsOf(file: string, text: string): Import[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Import[] = [];
  const add = (node: ts.Node, lit: ts.Expression | undefined, typeOnly: boolean) => {
    if (!lit || !ts.isStringLiteralLike(lit)) return;
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    out.push({ file, line, spec: lit.text, target: targetOf(file, lit.text), typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const named = c?.namedBindings;
      const allTypes = !!c && (c.isTypeOnly || (!c.name && !!named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly)));
      add(node, node.moduleSpecifier, allTypes);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause;
      add(node, node.moduleSpecifier, node.isTypeOnly || (!!named && ts.isNamedExports(named) && named.elements.every((e) => e.isTypeOnly)));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression, true);
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add(node, node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The .ts files under the scanned folders of `root`, repo-relative with `/`. */
export function sourceFiles(root: string, dirs = SCANNED): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    if (!fs.existsSync(abs)) return;
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(r);
      } else if (e.name.endsWith('.ts')) out.push(r);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

const isPkg = (imp: Import, names: string[]) => names.some((n) => imp.target === `pkg:${n}`);
const under = (file: string, ...prefixes: string[]) => prefixes.some((p) => file.startsWith(p));

/** The import rules, each a predicate over one import (true = broken), with the reason it exists. */
export const IMPORT_RULES: { rule: string; why: string; broken: (imp: Import) => boolean }[] = [
  {
    rule: 'core-no-io',
    why: 'ingest/core is plain functions over plain data: it imports none of node\'s I/O modules',
    broken: (i) => under(i.file, 'ingest/core/') && i.target.startsWith('node:') && !PURE_BUILTINS.includes(i.target.slice(5)),
  },
  {
    rule: 'core-no-mail-or-sqlite',
    why: 'ingest/core imports no mail library and no SQLite',
    broken: (i) => under(i.file, 'ingest/core/') && isPkg(i, [...MAIL_LIBS, 'better-sqlite3']),
  },
  {
    rule: 'mail-libs-only-in-mail',
    why: 'only ingest/mail imports the mail libraries (mailparser, libmime, libqp, libbase64, iconv-lite)',
    broken: (i) => !under(i.file, 'ingest/mail/') && isPkg(i, MAIL_LIBS),
  },
  {
    rule: 'sqlite-only-in-store-and-data',
    why: 'only ingest/store and server/data import better-sqlite3',
    broken: (i) => !under(i.file, 'ingest/store/', 'server/data/') && isPkg(i, ['better-sqlite3']),
  },
  {
    rule: 'surfaces-never-import-the-writer',
    why: 'routes, dashboard and digest never write through the store: they call ingest/run commands',
    broken: (i) => under(i.file, 'server/routes/', 'server/dashboard/', 'server/digest/') && i.target === 'ingest/store/store.ts',
  },
  {
    rule: 'ingest-never-imports-server',
    why: 'ingest never imports server',
    broken: (i) => under(i.file, 'ingest/') && under(i.target, 'server/'),
  },
  {
    rule: 'no-upward-import',
    why: 'each layer imports only the layers below it (MAY_IMPORT)',
    broken: (i) => {
      const from = layerOf(i.file);
      const to = i.target.startsWith('node:') || i.target.startsWith('pkg:') ? null : layerOf(i.target);
      if (!from || !to || from === to) return false;
      const may = MAY_IMPORT[from] ?? [];
      return !(may.includes('*') || may.includes(to) || (i.typeOnly && may.includes(`${to}:type`)));
    },
  },
];

export function checkImports(imports: Import[]): Violation[] {
  const out: Violation[] = [];
  for (const imp of imports) {
    for (const r of IMPORT_RULES) {
      if (r.broken(imp)) out.push({ rule: r.rule, file: imp.file, line: imp.line, detail: `imports ${imp.spec}${imp.typeOnly ? ' (types)' : ''}: ${r.why}` });
    }
  }
  return out;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  noEmit: true,
  esModuleInterop: true,
  skipLibCheck: true,
  types: [],
  noResolve: false,
};

/** better-sqlite3 methods that are not SQL. */
const NOT_SQL = new Set(['close']);

/**
 * Calls of better-sqlite3 methods (SQL run) outside ingest/store and server/data. `files` are repo-relative; the
 * packages are resolved from `root` (its node_modules).
 */
export function checkSql(root: string, files: string[]): Violation[] {
  const abs = files.map((f) => path.join(root, f));
  const program = ts.createProgram({ rootNames: abs, options: COMPILER_OPTIONS });
  const checker = program.getTypeChecker();
  const out: Violation[] = [];
  for (const f of files) {
    if (under(f, 'ingest/store/', 'server/data/')) continue;
    const sf = program.getSourceFile(path.join(root, f));
    if (!sf) continue;
    const calls: { pos: number; text: string }[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && !NOT_SQL.has(node.expression.name.text)) {
        const sym = checker.getSymbolAtLocation(node.expression.name);
        if ((sym?.declarations ?? []).some((d) => /[\\/]better-sqlite3[\\/]/.test(d.getSourceFile().fileName))) {
          const pos = node.expression.name.getStart(sf);
          calls.push({ pos, text: `.${node.expression.name.text}() at ${sf.getLineAndCharacterOfPosition(pos).line + 1}` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    if (calls.length) {
      calls.sort((a, b) => a.pos - b.pos);
      const line = sf.getLineAndCharacterOfPosition(calls[0].pos).line + 1;
      const texts = calls.map((c) => c.text);
      const shown = texts.length > 4 ? `${texts.slice(0, 4).join(', ')}, ... (${texts.length} calls)` : texts.join(', ');
      out.push({ rule: 'sql-only-in-store-and-data', file: f, line, detail: `runs SQL (${shown}): only ingest/store and server/data hold SQL` });
    }
  }
  return out;
}

/** Every rule over the tree at `root`. */
export function checkTree(root: string, opts: { sql?: boolean } = {}): Violation[] {
  const files = sourceFiles(root);
  const imports = files.flatMap((f) => importsOf(f, fs.readFileSync(path.join(root, f), 'utf8')));
  const out = checkImports(imports);
  if (opts.sql !== false) out.push(...checkSql(root, files));
  return out;
}

export const show = (v: Violation) => `${v.file}:${v.line} [${v.rule}] ${v.detail}`;
