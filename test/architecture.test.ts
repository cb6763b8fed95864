// The layout's import rules hold on the tree, and the checker catches each rule broken (small literal trees).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkImports, checkSql, checkTree, importsOf, IMPORT_RULES, layerOf, show, sourceFiles, type Violation } from './architecture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Known breaks left to mend later. Each must still be broken (else drop it here). None now. */
const PENDING: { rule: string; file: string }[] = [];
const pending = (v: Violation) => PENDING.some((p) => p.rule === v.rule && p.file === v.file);

/** Rules broken by literal files: `{ path: text }`. */
const broken = (files: Record<string, string>) =>
  checkImports(Object.entries(files).flatMap(([f, text]) => importsOf(f, text))).map((v) => `${v.file} ${v.rule}`);

describe('the tree', () => {
  it('keeps the import rules and holds SQL only in ingest/store and server/data', () => {
    const found = checkTree(ROOT);
    expect(found.filter((v) => !pending(v)).map(show)).toEqual([]);
    const stillBroken = PENDING.filter((p) => found.some((v) => v.rule === p.rule && v.file === p.file));
    expect(stillBroken, 'a pending break is mended: drop it from PENDING').toEqual(PENDING);
  }, 180_000); // the type checker reads the whole program: ~5 s alone, much more on a busy machine

  it('puts every application file in a layer, every ingest file in one of its five folders', () => {
    const all = sourceFiles(ROOT);
    expect(all.length).toBeGreaterThan(50);
    expect(all.filter((f) => layerOf(f) === null)).toEqual([]);
    expect(all.filter((f) => f.startsWith('ingest/') && !/^ingest\/(core|mail|archive|store|run)\//.test(f))).toEqual([]);
    const routes = fs.readdirSync(path.join(ROOT, 'server', 'routes')).map((f) => `server/routes/${f}`);
    expect(routes.length).toBeGreaterThan(5);
    for (const f of routes) expect(layerOf(f)).toBe('routes');
    expect(layerOf('ingest/store/db.ts')).toBe('store-open');
    expect(layerOf('ingest/store/store.ts')).toBe('store');
    expect(layerOf('server/plugins/errors.ts')).toBe('api-shapes');
    expect(layerOf('server/plugins/etag.ts')).toBe('plugins');
  });
});

describe('the import scanner', () => {
  it('reads static, type-only, re-exported, dynamic, require and import-type imports, not comments or strings', () => {
    const imps = importsOf('ingest/mail/x.ts', `
      import fs from 'node:fs';
      import type { A } from '../core/model.ts';
      import { type B, C } from '../core/diff.ts';
      export { D } from './y.ts';
      export type { E } from 'libqp';
      const m = await import('mailparser');
      const r = require('better-sqlite3');
      type P = typeof import('libmime/lib/charset.js');
      // import x from 'net';
      const s = "import y from 'http'";
    `);
    expect(imps.map((i) => [i.target, i.typeOnly])).toEqual([
      ['node:fs', false],
      ['ingest/core/model.ts', true],
      ['ingest/core/diff.ts', false],
      ['ingest/mail/y.ts', false],
      ['pkg:libqp', true],
      ['pkg:mailparser', false],
      ['pkg:better-sqlite3', false],
      ['pkg:libmime', true],
    ]);
  });
});

describe('each rule fails when broken', () => {
  it('core: no node I/O, no mail library, no SQLite, nothing from mail/archive/store/run/server', () => {
    expect(broken({
      'ingest/core/a.ts': `import { readFileSync } from 'node:fs';\nimport { createHash } from 'node:crypto';\nimport './model.ts';`,
      'ingest/core/b.ts': `import net from 'net';\nimport { Worker } from 'worker_threads';`,
      'ingest/core/c.ts': `import libmime from 'libmime';\nimport Database from 'better-sqlite3';`,
      'ingest/core/d.ts': `import { readMail } from '../mail/read-mail.ts';`,
      'ingest/core/e.ts': `import type { Store } from '../store/store.ts';`,
      'ingest/core/f.ts': `import type { WatchRule } from '../../config/watch-rules-schema.ts';`,
      'ingest/core/g.ts': `import { validateWatchRules } from '../../config/watch-rules-schema.ts';`,
    })).toEqual([
      'ingest/core/a.ts core-no-io',
      'ingest/core/b.ts core-no-io',
      'ingest/core/b.ts core-no-io',
      'ingest/core/c.ts core-no-mail-or-sqlite',
      'ingest/core/c.ts mail-libs-only-in-mail',
      'ingest/core/c.ts core-no-mail-or-sqlite',
      'ingest/core/c.ts sqlite-only-in-store-and-data',
      'ingest/core/d.ts no-upward-import',
      'ingest/core/e.ts no-upward-import',
      'ingest/core/g.ts no-upward-import',
    ]);
  });

  it('mail libraries only in ingest/mail; better-sqlite3 only in ingest/store and server/data', () => {
    expect(broken({
      'ingest/mail/ok.ts': `import iconv from 'iconv-lite';\nimport { decode } from 'libmime/lib/charset.js';\nimport type { ParsedMail } from '../core/model.ts';`,
      'ingest/archive/x.ts': `import { simpleParser } from 'mailparser';`,
      'server/digest/x.ts': `import { decode } from 'libbase64';`,
      'ingest/store/ok.ts': `import Database from 'better-sqlite3';`,
      'server/data/ok.ts': `import type { Statement } from 'better-sqlite3';`,
      'server/routes/x.ts': `import type { Database } from 'better-sqlite3';`,
    })).toEqual([
      'ingest/archive/x.ts mail-libs-only-in-mail',
      'server/digest/x.ts mail-libs-only-in-mail',
      'server/routes/x.ts sqlite-only-in-store-and-data',
    ]);
  });

  it('routes, dashboard and digest never import the writer; ingest never imports server', () => {
    expect(broken({
      'server/routes/x.ts': `import { Store } from '../../ingest/store/store.ts';\nimport { declareFix } from '../../ingest/run/commands.ts';`,
      'server/dashboard/x.ts': `import type { Db } from '../../ingest/store/db.ts';`,
      'server/digest/x.ts': `const { Store } = await import('../../ingest/store/store.ts');`,
      'ingest/run/x.ts': `import type { AppContext } from '../../server/context.ts';`,
    })).toEqual([
      'server/routes/x.ts surfaces-never-import-the-writer',
      'server/routes/x.ts no-upward-import',
      'server/digest/x.ts surfaces-never-import-the-writer',
      'server/digest/x.ts no-upward-import',
      'ingest/run/x.ts ingest-never-imports-server',
      'ingest/run/x.ts no-upward-import',
    ]);
  });

  it('nothing imports upward', () => {
    expect(broken({
      'ingest/store/x.ts': `import type { Parsed } from '../run/parse-one.ts';`,
      'ingest/archive/x.ts': `import { parseMessage } from '../mail/message-parse.ts';`,
      'server/data/x.ts': `import type { Row } from '../dashboard/pages/call-changes.ts';`,
      'server/plugins/x.ts': `import routes from '../routes/fixes.ts';`,
      'server/routes/x.ts': `import { buildApp } from '../app.ts';`,
      'server/app.ts': `import { serve } from './serve.ts';`,
      'server/serve.ts': `import { buildApp } from './app.ts';\nimport { Store } from '../ingest/store/store.ts';`,
      'ingest/run/ok.ts': `import { Store } from '../store/store.ts';\nimport { readMail } from '../mail/read-mail.ts';`,
    })).toEqual([
      'ingest/store/x.ts no-upward-import',
      'ingest/archive/x.ts no-upward-import',
      'server/data/x.ts no-upward-import',
      'server/plugins/x.ts no-upward-import',
      'server/routes/x.ts no-upward-import',
      'server/app.ts no-upward-import',
    ]);
  });

  it('every import rule is shown broken above', () => {
    // (a rule added without a broken example here would go unproven)
    expect(IMPORT_RULES.map((r) => r.rule).sort()).toEqual([
      'core-no-io', 'core-no-mail-or-sqlite', 'ingest-never-imports-server', 'mail-libs-only-in-mail', 'no-upward-import',
      'sqlite-only-in-store-and-data', 'surfaces-never-import-the-writer',
    ]);
  });

  describe('SQL outside ingest/store and server/data', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relapse-arch-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };

    it('is found by what the call is, not what the handle is named', () => {
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      write('ingest/store/db.ts', `import Database from 'better-sqlite3';\nexport type Db = Database.Database;\nexport const open = () => new Database(':memory:');`);
      write('server/context.ts', `import type { Db } from '../ingest/store/db.ts';\nexport interface Ctx { db: Db }`);
      write('server/data/ok.ts', `import type { Db } from '../../ingest/store/db.ts';\nexport const one = (db: Db) => db.prepare('SELECT 1').get();`);
      write('server/routes/reads.ts', `import type { Ctx } from '../context.ts';\nexport const n = (ctx: Ctx) => ctx.db.pragma('data_version', { simple: true });`);
      write('server/digest/writes.ts', `import type { Db } from '../../ingest/store/db.ts';\nexport function f(handle: Db) {\n  return handle.transaction(() => 1).immediate();\n}`);
      write('server/routes/clean.ts', `import type { Ctx } from '../context.ts';\nconst re = /a(b)/;\nconst m = new Map<string, number>();\n` +
        `export const g = (ctx: Ctx, s: string) => { ctx.db.close(); return [re.exec(s), m.get(s), { prepare: (x: string) => x }.prepare(s)]; };`);
      const files = ['ingest/store/db.ts', 'server/context.ts', 'server/data/ok.ts', 'server/routes/reads.ts', 'server/digest/writes.ts', 'server/routes/clean.ts'];
      const found = checkSql(dir, files);
      expect(found.map((v) => `${v.file}:${v.line} ${v.rule}`)).toEqual([
        'server/routes/reads.ts:2 sql-only-in-store-and-data',
        'server/digest/writes.ts:3 sql-only-in-store-and-data',
      ]);
      expect(found[1].detail).toContain('.transaction()');
    });
  });
});
