// simpleAddress reads the plain forms of a From line without mailparser: held to parseAddressHeader, which reads
// every form (the value it is given is the one MailParser gives it: the line's value, unfolded and trimmed).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseAddressHeader } from 'mailparser';
import { simpleAddress } from '../../../ingest/mail/read-mail.ts';

// the value MailParser hands parseAddressHeader: unfolded, trimmed, the line's bytes read as UTF-8
const mailparserReads = (line: string) => parseAddressHeader(Buffer.from(line.slice(line.indexOf(':') + 1).trim(), 'latin1').toString('utf8')).value;
const latin1OfUtf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

describe('simpleAddress', () => {
  it('reads "Name <address>" and a bare address as parseAddressHeader does', () => {
    for (const line of ['From: Ada Bauer <ada@amd.example>', 'From: ada@amd.example', 'Sender:  Eric W Biederman <ebiederm@xmission.example> ',
      'From: A <a.b+c_d-e@mail-1.x.example>', 'From: 2010 Bot <bot@x.example>', latin1OfUtf8('From: Jörg Rödl <jroedl@amd.example>'),
      'From: =?UTF-8?B?SsO2cmcgUsO2ZGw=?= <jroedl@amd.example>', 'From: =?iso-8859-1?q?Fran=E7ois_Ledoux?= <fl@fr.example>',
      'From: =?x-unknown?q?abc?= <a@x.example>', 'From: =?UTF-8?B?@@@?= <a@x.example>', 'From: =?UTF-8?Q?J=C3=B6rg?= <jr@amd.example>',
      'From: J\xc3\xb6rg <jr@amd.example>']) {
      expect(simpleAddress(line)?.value, line).toEqual(mailparserReads(line));
    }
  });

  it('leaves every other form to mailparser', () => {
    for (const line of ['From: "Bauer, Ada" <ada@amd.example>',
      'From: ada at amd.example (Ada)', 'From: =?UTF-8?Q?J=C3=B6rg?= =?UTF-8?Q?_R=C3=B6dl?= <jr@amd.example>', 'From: ada@amd.example (Ada)', 'From: H. Peter Anvin <hpa@zytor.example>', "From: Dan O'Brien <d@x.example>",
      'From: Ada <ada@xn--bcher-kva.example>', 'From: Ada <ada@amd.example>, Bob <bob@x.example>', 'From: Ada Bauer\r\n <ada@amd.example>',
      'From: <ada@amd.example>', 'From: Ada <ada>', 'From: undisclosed-recipients:;', 'From:']) {
      expect(simpleAddress(line), line).toBeNull();
    }
  });

  it('agrees with parseAddressHeader on generated lines, whenever it reads one', () => {
    // mostly plain words, now and then a character that makes the line parseAddressHeader's alone
    const encoded = fc.tuple(fc.constantFrom('UTF-8', 'iso-8859-1', 'x-nope'), fc.constantFrom('B', 'q'), fc.string({ unit: 'grapheme', maxLength: 6 }))
      .map(([cs, enc, text]) => `=?${cs}?${enc}?${enc === 'B' ? Buffer.from(text).toString('base64') : text.replace(/[^A-Za-z0-9]/g, '_')}?=`);
    const word = fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9]{1,8}$/) },
      { weight: 1, arbitrary: fc.constantFrom('Jörg', 'Rödl', 'François', '李', 'Ærø', 'ǅ') .map(latin1OfUtf8) },
      { weight: 1, arbitrary: encoded },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9."'(),;:<>@\\ =?-]{0,8}$/) },
    );
    const line = fc.tuple(fc.array(word, { maxLength: 4 }), fc.stringMatching(/^[A-Za-z0-9._+%-]{0,8}$/), fc.stringMatching(/^[A-Za-z0-9.-]{0,12}$/), fc.boolean())
      .map(([words, local, domain, bracketed]) => `From: ${words.join(' ')}${bracketed ? ` <${local}@${domain}>` : ` ${local}@${domain}`}`);
    let read = 0;
    fc.assert(
      fc.property(line, (l) => {
        const simple = simpleAddress(l);
        if (simple) {
          read++;
          expect(simple.value).toEqual(mailparserReads(l));
        }
      }),
      { numRuns: 3000, seed: 20100401 },
    );
    expect(read).toBeGreaterThan(50); // it did read, not only decline
  });
});
