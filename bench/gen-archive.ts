// Generates a large, realistic kexec-list-like mboxrd archive for the benchmark: series with covers,
// single patches, replies quoting patches, acceptance replies, base64 / quoted-printable bodies,
// patch attachments, latin-1 names and RFC 2047 subjects. Deterministic for a given seed.
/** Bumped whenever the generated mail changes, so a cached archive of an older kind is not reused. */
export const GENERATOR_VERSION = 2;
import fs from 'node:fs';

const AUTHORS = [
  ['Chris Wren', 'cwren@sous.example'], ['Ada Bauer', 'ada.bauer@amd.example'], ['Jörg Rödl', 'jroedl@amd.example'],
  ['Eric Bell', 'ebell@xmission.example'], ['Vivian Gold', 'vgold@redhat.example'], ['Tomas Novak', 'tnovak@newco.example'],
  ['Neil Hart', 'nhart@tux.example'], ['Simon Horne', 'horne@verge.example'], ['Ravi Menon', 'ravi@in.example'],
  ['Hana Sato', 'hana@kexec.example'], ['Olaf Hering', 'olaf@suse.example'], ['François Ledoux', 'fledoux@fr.example'],
];
const FILES = ['kernel/kexec.c', 'fs/proc/vmcore.c', 'arch/x86/kernel/crash.c', 'kexec/kexec.c', 'arch/x86/kernel/machine_kexec_64.c'];
const WATCHED_FILES = ['arch/x86/kernel/amd_iommu.c', 'arch/x86/kernel/amd_iommu_init.c', 'drivers/iommu/amd_iommu_init.c'];
/** Share of patches that touch a watched file: the kexec list carries mostly kexec-tools and kdump work. */
const WATCHED_SHARE = 0.05;
const WORDS = ['fix', 'clean up', 'avoid', 'handle', 'correct', 'rework', 'simplify', 'document', 'drop', 'add support for'];
const THINGS = ['memory leak in error path', 'double free on failure', 'segment sorting', 'vmcoreinfo note size',
  'crash memory ranges', 'elfcorehdr parsing', 'relocatable kernels', 'purgatory checksum', 'flush on shutdown', 'device table init'];
// Where a change is made: real titles name it, so that one author's titles rarely repeat (a repeated title
// links postings as versions of one series, and 100 titles per author made chains of hundreds of versions).
const PLACES = ['kexec', 'crash', 'kdump', 'vmcore', 'elf', 'purgatory', 'segment', 'iommu'].flatMap((a) =>
  ['load', 'setup', 'alloc', 'free', 'parse', 'verify', 'reserve', 'map', 'unmap', 'init', 'exit', 'read', 'write', 'sort', 'copy',
    'check', 'prepare', 'finish', 'probe', 'release', 'lookup', 'update', 'insert', 'remove', 'flush'].map((b) => `${a}_${b}()`));

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export interface GenOptions { messages: number; seed?: number }

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64').replace(/.{76}/g, '$&\n');
const qp = (s: string) => s.split('\n').map((l) => l.replace(/[=\u0080-\uffff]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => '=' + b.toString(16).toUpperCase().padStart(2, '0')).join(''))).join('\n');
const encodedWord = (s: string) => (/[^\x20-\x7e]/.test(s) ? `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=` : s);

/** Write the archive; returns its size and message count. */
export function generateArchive(file: string, opts: GenOptions): { bytes: number; messages: number } {
  const rand = rng(opts.seed ?? 42);
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];
  const pickFile = (): string => (rand() < WATCHED_SHARE ? pick(WATCHED_FILES) : pick(FILES));
  const out = fs.openSync(file, 'w');
  let bytes = 0, count = 0, serial = 0;
  let clock = Date.parse('2009-01-01T00:00:00Z');
  const recent: { id: string; subject: string; author: string[]; body: string }[] = [];

  const write = (headers: string[], body: string) => {
    const text = `From mboxrd@z Thu Jan  1 00:00:00 1970\n${headers.join('\n')}\n\n${body.replace(/^(>*From )/gm, '>$1')}\n\n`;
    const buf = Buffer.from(text, 'utf8');
    fs.writeSync(out, buf);
    bytes += buf.length;
    count++;
  };
  const id = (a: string[]) => `bench-${(serial++).toString(36)}-${a[1]}`;
  const date = () => { clock += Math.floor(rand() * 600_000); return new Date(clock).toUTCString().replace('GMT', '+0000'); };
  const diff = (file: string, watched: boolean) => {
    const fn = watched ? pick(['amd_iommu_init_dma_ops', 'disable_iommus', 'iommu_disable', 'prealloc_protection_domains']) : pick(['sort_regions', 'crash_setup', 'load_segments']);
    const line = Math.floor(rand() * 2000) + 10;
    const change = watched && rand() < 0.5
      ? `-\tiommu_flush_all_caches(iommu);\n+\tamd_iommu_flush_all_devices();`
      : `-\tif (ret < 0)\n+\tif (ret)`;
    return `diff --git a/${file} b/${file}\nindex 402c885..7c5a3e3 100644\n--- a/${file}\n+++ b/${file}\n@@ -${line},7 +${line},7 @@ static int ${watched ? '__init ' : ''}${fn}(void)\n \tint ret;\n \n \tret = prepare();\n${change}\n \t\tgoto out;\n \n \t/* ${fn} */\n`;
  };
  const patchBody = (title: string, a: string[], file: string) =>
    `${file}: ${title}.\n\nSigned-off-by: ${a[0]} <${a[1]}>\n---\n ${file} | 2 +-\n 1 file changed, 1 insertions(+), 1 deletions(-)\n\n${diff(file, /amd_iommu/.test(file))}-- \n1.6.5.0\n`;
  const mime = (body: string): [string[], string] => {
    const r = rand();
    if (r < 0.15) return [['MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: base64'], b64(body)];
    if (r < 0.25) return [['MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: quoted-printable'], qp(body)];
    if (r < 0.3) return [['MIME-Version: 1.0', 'Content-Type: text/plain; charset=ISO-8859-1', 'Content-Transfer-Encoding: 8bit'], body];
    return [['MIME-Version: 1.0', 'Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit'], body];
  };
  const attach = (intro: string, patch: string): [string[], string] => {
    const boundary = `----bench${serial}`;
    return [['MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`],
      `--${boundary}\nContent-Type: text/plain; charset=us-ascii\n\n${intro}\n--${boundary}\nContent-Type: text/x-patch; name="fix.patch"\nContent-Disposition: attachment; filename="fix.patch"\n\n${patch}\n--${boundary}--`];
  };
  const post = (a: string[], subject: string, body: string, extra: string[] = [], encoded?: [string[], string]) => {
    const mid = id(a);
    const [mh, mb] = encoded ?? mime(body);
    write([`From: ${encodedWord(a[0])} <${a[1]}>`, 'To: kexec@lists.infradead.org', `Subject: ${encodedWord(subject)}`, `Date: ${date()}`, `Message-ID: <${mid}>`, ...extra, ...mh], mb);
    return mid;
  };

  while (count < opts.messages) {
    const r = rand();
    const a = pick(AUTHORS);
    const title = `${pick(WORDS)} ${pick(THINGS)} in ${pick(PLACES)}`;
    if (r < 0.35) {
      // a series: cover + 3 patches
      const v = rand() < 0.3 ? 2 : 1;
      const vt = v > 1 ? `v${v} ` : '';
      const cover = post(a, `[PATCH ${vt}0/3] ${title}`, `This series does ${title}.\n\n${a[0]}\n`);
      for (let i = 1; i <= 3; i++) {
        const file = pickFile();
        const body = patchBody(`${title} (part ${i})`, a, file);
        const mid = post(a, `[PATCH ${vt}${i}/3] ${title} (part ${i})`, body, [`In-Reply-To: <${cover}>`, `References: <${cover}>`]);
        recent.push({ id: mid, subject: `[PATCH ${vt}${i}/3] ${title} (part ${i})`, author: a, body });
      }
    } else if (r < 0.55) {
      const file = pickFile();
      const body = patchBody(title, a, file);
      const mid = rand() < 0.2 ? post(a, `[PATCH] ${title}`, body, [], attach(`${title}, see attachment.`, diff(file, /amd_iommu/.test(file)))) : post(a, `[PATCH] ${title}`, body);
      recent.push({ id: mid, subject: `[PATCH] ${title}`, author: a, body });
    } else if (recent.length) {
      const target = recent[Math.floor(rand() * recent.length)];
      const quoted = target.body.split('\n').map((l) => `> ${l}`).join('\n');
      const applied = rand() < 0.25;
      const text = applied ? `Applied to kexec/fixes, thanks.\n` : `Looks good to me.\n\nAcked-by: ${a[0]} <${a[1]}>\n`;
      post(a, `Re: ${target.subject}`, `On ${date()}, ${target.author[0]} wrote:\n${quoted}\n\n${text}`, [`In-Reply-To: <${target.id}>`, `References: <${target.id}>`]);
      if (recent.length > 400) recent.splice(0, 200);
    }
  }
  fs.closeSync(out);
  return { bytes, messages: count };
}
