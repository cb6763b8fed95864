import { describe, expect, it } from 'vitest';
import { addressKey, sameAddress } from '../../../ingest/core/address.ts';

describe('addressKey / sameAddress', () => {
  it('folds ASCII letter case only, as SQLite NOCASE does', () => {
    expect(addressKey('AIERPATIJIANG1@Kingsoft.COM')).toBe('aierpatijiang1@kingsoft.com');
    expect(addressKey('jörg.RÖDL@amd.example')).toBe('jörg.rÖdl@amd.example');
    expect(sameAddress('AIERPATIJIANG1@kingsoft.com', 'aierpatijiang1@KINGSOFT.com')).toBe(true);
    expect(sameAddress('ada@amd.example', 'ada@amd.example.org')).toBe(false);
  });
});
