// The fast path reproduces MailParser's reading of one set of library versions: the installed ones must be those.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERIFIED_MAIL_LIBRARIES } from '../../../ingest/mail/read-mail.ts';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));

/** The version of `name` as mailparser itself would load it (mailsplit and libmime are its dependencies). */
function installed(name: string): string {
  const fromMailparser = createRequire(require.resolve('mailparser'));
  const pkg = (() => {
    try {
      return fromMailparser.resolve(`${name}/package.json`);
    } catch {
      return require.resolve(`${name}/package.json`);
    }
  })();
  return JSON.parse(readFileSync(pkg, 'utf8')).version;
}

describe('mail libraries', () => {
  it('are installed at the versions the fast path was verified against', () => {
    for (const [name, version] of Object.entries(VERIFIED_MAIL_LIBRARIES)) expect(installed(name), name).toBe(version);
  });

  it('are pinned exactly in package.json where the project depends on them', () => {
    const deps = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).dependencies as Record<string, string>;
    for (const [name, version] of Object.entries(VERIFIED_MAIL_LIBRARIES)) {
      if (name in deps) expect(deps[name], name).toBe(version);
    }
  });
});
