// Literal week data for the pure tests (no database).
import type { FixRef, MessageRef, WeekDigest } from '../../server/data/digest-types.ts';
import { loreLink } from '../../server/data/links.ts';

export const msg = (id: string, subject: string, date: string, name = 'Tom Novak', email = 'tnovak@newco.example', version = 1): MessageRef => ({
  messageId: id, subject, author: { name, email }, date, version, link: loreLink('kexec', id),
});

export const fixK = (over: Partial<FixRef> = {}): FixRef => ({
  key: 'presence|arch/x86/kernel/amd_iommu_init.c|iommu_disable|iommu_flush_all_caches|m25',
  kind: 'presence', call: 'iommu_flush_all_caches', function: 'iommu_disable', path: 'shutdown',
  file: 'arch/x86/kernel/amd_iommu_init.c', before: [], status: 'active', declared: false,
  introducedBy: msg('m25@redhat.example', '[PATCH 2/2] x86/amd-iommu: flush caches in iommu_disable', '2010-03-18T10:00:00.000Z', 'Vera Gold', 'vgold@redhat.example'),
  ...over,
});

export function sampleWeek(): WeekDigest {
  const fix = fixK();
  const orderFix = fixK({ key: 'order|x', kind: 'order', call: 'enable_iommus', function: 'amd_iommu_init', path: 'init', before: ['amd_iommu_init_passthrough', 'amd_iommu_init_notifier'] });
  const rm = msg('m29@newco.example', "[PATCH] x86/amd-iommu: don't flush caches on the way down", '2010-03-30T09:15:00.000Z');
  return {
    week: '2010-W13', start: '2010-03-29T00:00:00.000Z', end: '2010-04-05T00:00:00.000Z', list: 'kexec', recipient: null,
    newRegressions: [{
      key: 'R2', fix, fixMessage: fix.introducedBy, removedBy: [rm], firstSeen: rm.date, files: [fix.file],
      status: 'open', evidence: ['\tiommu_flush_all_caches(iommu);'], resolvedBy: null, resolution: null, acknowledged: null,
    }],
    stillOpen: [{
      key: 'R0', fix: orderFix, fixMessage: null, removedBy: [msg('m10@x.example', '[PATCH] reorder init', '2010-03-01T00:00:00.000Z')],
      firstSeen: '2010-03-01T00:00:00.000Z', files: ['arch/x86/kernel/amd_iommu_init.c'], ageDays: 35,
    }],
    resolved: [{
      key: 'R1', fix: fixK({ key: 'k1', call: 'amd_iommu_flush_all_devices', function: 'amd_iommu_init_dma_ops', path: 'init', file: 'arch/x86/kernel/amd_iommu.c' }),
      fixMessage: null, removedBy: [], firstSeen: '2010-03-10T00:00:00.000Z', files: ['arch/x86/kernel/amd_iommu.c'],
      resolvedBy: msg('m21@sous.example', '[PATCH] x86/amd-iommu: flush devices again', '2010-04-01T12:00:00.000Z', 'Chris Wren', 'cwren@sous.example'), resolution: 'refixed',
    }],
    acknowledged: [],
    fixesKnown: [{ fix, date: fix.introducedBy!.date, files: [fix.file] }],
    series: [{
      id: 7, title: 'x86/amd-iommu: shutdown cleanups', version: 2, total: 1, author: { name: 'Tom Novak', email: 'tnovak@newco.example' },
      date: rm.date, head: rm, patches: [rm],
      calls: [{ messageId: rm.messageId, file: fix.file, function: 'iommu_disable', path: 'shutdown', call: 'iommu_flush_all_caches', op: 'removed' }],
      files: [fix.file],
    }],
  };
}

export function emptyWeek(): WeekDigest {
  return { week: '2010-W20', start: '2010-05-17T00:00:00.000Z', end: '2010-05-24T00:00:00.000Z', list: 'kexec', recipient: null,
    newRegressions: [], stillOpen: [], resolved: [], acknowledged: [], fixesKnown: [], series: [] };
}
