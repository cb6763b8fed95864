// GET /api/health: counts, newest dates, digest failures and the last sync of each inbox.
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, Nullable } from './common.ts';

export const HealthSchema = Type.Object(
  {
    status: Type.Literal('ok'),
    messages: Type.Integer(),
    patches: Type.Integer(),
    series: Type.Integer(),
    threads: Type.Integer(),
    quarantined: Type.Integer(),
    fixes: Type.Integer({ description: 'known fixes in force (status active)' }),
    regressions: Type.Object({ open: Type.Integer(), acknowledged: Type.Integer(), resolved: Type.Integer() }),
    newestMessage: Nullable(IsoDate('date of the newest archived message')),
    lastIngest: Nullable(IsoDate('when a message was last stored')),
    lastEventId: Type.Integer(),
    digest: Type.Object({ failures: Type.Integer({ description: 'digest deliveries failing (being retried)' }) }),
    sync: Type.Array(
      Type.Object({
        inbox: Type.String(),
        url: Type.String(),
        lastAttemptAt: IsoDate('when the inbox was last synced (or tried)'),
        lastSuccessAt: Nullable(IsoDate('when a sync of it last succeeded')),
        lastError: Nullable(Type.String({ description: "the last attempt's error (null when it succeeded)" })),
        failures: Type.Integer({ description: 'attempts failed in a row' }),
        newMessages: Type.Integer({ description: 'messages the last successful sync stored' }),
      }),
      { description: 'the last sync of each public-inbox inbox (relapse sync, serve --sync)' },
    ),
  },
  { $id: 'Health' },
);
export type Health = Static<typeof HealthSchema>;
