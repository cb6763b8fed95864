import { describe, expect, it } from 'vitest';
import { answeredBy, findAcceptances, type ReplyHead } from '../../../ingest/core/acceptance.ts';

const m = (id: string, p: Partial<ReplyHead>): ReplyHead => ({
  messageId: id, from: { name: '', email: 'dev@x' }, date: '2010-01-01T00:00:00.000Z', inReplyTo: null,
  references: [], isPatch: false, kind: 'reply', saysApplied: false, ...p,
});

describe('findAcceptances', () => {
  it('accepts the patch an "applied" reply answers, with who and when', () => {
    const patch = m('p', { isPatch: true, kind: 'patch' });
    const reply = m('r', { from: { name: 'Maint', email: 'maint@x' }, inReplyTo: 'p', references: ['p'], saysApplied: true, date: '2010-01-02T00:00:00.000Z' });
    const acc = findAcceptances([patch, reply]);
    expect(acc.get('p')).toEqual({ messageId: 'r', by: { name: 'Maint', email: 'maint@x' }, date: '2010-01-02T00:00:00.000Z' });
  });

  it('walks up through a review to the patch', () => {
    const patch = m('p', { isPatch: true, kind: 'patch' });
    const review = m('q', { from: { name: '', email: 'rev@x' }, inReplyTo: 'p', references: ['p'] });
    const applied = m('r', { from: { name: '', email: 'maint@x' }, inReplyTo: 'q', references: ['p', 'q'], saysApplied: true });
    expect(answeredBy(applied, new Map([patch, review, applied].map((x) => [x.messageId, x])))).toBe('p');
    expect(findAcceptances([patch, review, applied]).has('p')).toBe(true);
  });

  it("ignores an author's own 'applied' unless they apply other people's patches", () => {
    const own = m('p', { isPatch: true, kind: 'patch', from: { name: '', email: 'dev@x' } });
    const self = m('r', { from: { name: '', email: 'dev@x' }, inReplyTo: 'p', references: ['p'], saysApplied: true });
    expect(findAcceptances([own, self]).size).toBe(0);
    const other = m('p2', { isPatch: true, kind: 'patch', from: { name: '', email: 'someone@x' } });
    const applies = m('r2', { from: { name: '', email: 'dev@x' }, inReplyTo: 'p2', references: ['p2'], saysApplied: true });
    const acc = findAcceptances([own, self, other, applies]);
    expect(acc.get('p')?.messageId).toBe('r');
    expect(acc.get('p2')?.messageId).toBe('r2');
  });

  it('accepts a cover letter (the series) and nothing for a reply without "applied"', () => {
    const cover = m('c', { kind: 'cover' });
    const ok = m('r', { from: { name: '', email: 'maint@x' }, inReplyTo: 'c', references: ['c'], saysApplied: true });
    const chat = m('s', { from: { name: '', email: 'maint@x' }, inReplyTo: 'c', references: ['c'] });
    expect([...findAcceptances([cover, ok, chat]).keys()]).toEqual(['c']);
  });
});

describe('issue 15: rewritten senders and proposals', () => {
  it('tells two people known by name only apart (list-rewritten senders without an address)', () => {
    const patch = m('p', { isPatch: true, kind: 'patch', from: { name: 'Ada Bauer', email: '' } });
    const reply = m('r', { from: { name: 'Jo Roedel', email: '' }, inReplyTo: 'p', references: ['p'], saysApplied: true });
    expect(findAcceptances([patch, reply]).get('p')?.messageId).toBe('r');
  });

  it('a reply under a proposal answers the patch above it; without references, through the thread tree', () => {
    const patch = m('p', { isPatch: true, kind: 'patch' });
    const proposal = m('q', { isPatch: true, kind: 'proposal', inReplyTo: 'p', references: ['p'] });
    const review = m('r', { inReplyTo: 'q', references: ['p', 'q'] });
    const bare = m('s', { inReplyTo: 'r', references: [] });
    const byId = new Map([patch, proposal, review, bare].map((x) => [x.messageId, x]));
    expect(answeredBy(review, byId)).toBe('p');
    expect(answeredBy(bare, byId)).toBe(null);
    expect(answeredBy(bare, byId, new Map([['s', 'r'], ['r', 'q'], ['q', 'p'], ['p', null]]))).toBe('p');
  });
});

describe('answeredBy over a thread tree', () => {
  it('walks a long discussion without a patch once, not once per reply', () => {
    const n = 30_000;
    const heads = Array.from({ length: n }, (_, i) => m(`d${i}`, { inReplyTo: i ? `d${i - 1}` : null }));
    const byId = new Map(heads.map((h) => [h.messageId, h]));
    const parentOf = new Map(heads.map((h, i) => [h.messageId, i ? `d${i - 1}` : null]));
    const memo = new Map<string, string | null>();
    const started = performance.now();
    for (const h of heads) expect(answeredBy({ ...h, inReplyTo: null }, byId, parentOf, memo)).toBe(null);
    expect(performance.now() - started).toBeLessThan(2000); // quadratic would be 450M steps
  });
});
