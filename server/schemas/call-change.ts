// The call index: a watched call added or removed by a patch (CallChange), a watched call reordered
// (OrderChange), and the queries of their lists.
import { Type, type Static } from '@sinclair/typebox';
import { CALL_OPS } from '../../ingest/core/model.ts';
import { DateParam, IsoDate, Nullable, PageQuery, StringEnum, nullableText, page, ref, text } from './common.ts';

export const CallChangeSchema = Type.Object(
  {
    messageId: Type.String(),
    seriesId: Nullable(Type.Integer()),
    subject: Type.String(),
    date: Nullable(IsoDate('date of the patch')),
    file: Type.String(),
    function: Nullable(Type.String()),
    path: Nullable(Type.String({ description: 'path class (init, shutdown ...), null when unclassified' })),
    call: Type.String(),
    op: StringEnum(CALL_OPS),
    line: Type.String({ description: 'the diff line carrying the call, without its +/-' }),
    rule: Type.String({ description: 'the watch rule that matched' }),
  },
  { $id: 'CallChange' },
);
export type CallChange = Static<typeof CallChangeSchema>;
export const CallChangePageSchema = page(ref(CallChangeSchema), 'CallChangePage');

export const OrderChangeSchema = Type.Object(
  {
    messageId: Type.String(),
    seriesId: Nullable(Type.Integer()),
    subject: Type.String(),
    date: Nullable(IsoDate('date of the patch')),
    file: Type.String(),
    function: Type.String(),
    path: Nullable(Type.String()),
    call: Type.String(),
    nowBefore: Type.Array(Type.String(), { description: 'calls it now comes before, that it came after' }),
    nowAfter: Type.Array(Type.String(), { description: 'calls it now comes after, that it came before' }),
    rule: Type.String(),
  },
  { $id: 'OrderChange' },
);
export type OrderChange = Static<typeof OrderChangeSchema>;
export const OrderChangePageSchema = page(ref(OrderChangeSchema), 'OrderChangePage');

export const CallChangeQuery = Type.Object({
  file: text('file; `*` matches any characters'),
  function: nullableText('function'),
  path: nullableText('path class (init, shutdown ...)'),
  call: text('the watched call', 256),
  op: Type.Optional(StringEnum(CALL_OPS)),
  since: Type.Optional(DateParam('patches dated at or after')),
  until: Type.Optional(DateParam('patches dated before')),
  messageId: text('only this patch', 998),
  ...PageQuery,
});

export const OrderChangeQuery = Type.Object({
  file: text('file; `*` matches any characters'),
  function: text('function', 256),
  path: nullableText('path class'),
  call: text('the watched call', 256),
  since: Type.Optional(DateParam('patches dated at or after')),
  until: Type.Optional(DateParam('patches dated before')),
  ...PageQuery,
});
