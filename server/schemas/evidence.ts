// What says a patch or series was taken: who accepted it (Accepted), each piece of evidence (Evidence), and the
// state they add up to (PatchState).
import { Type, type Static } from '@sinclair/typebox';
import { AddressSchema, IsoDate, Nullable, StringEnum, ref } from './common.ts';

export const AcceptedSchema = Type.Object(
  {
    by: ref(AddressSchema),
    date: Nullable(IsoDate('when the acceptance reply was sent')),
    messageId: Type.String({ description: 'the reply that says it was applied' }),
  },
  { $id: 'Accepted', description: 'Who applied a patch or series, according to a reply on the list' },
);
export type Accepted = Static<typeof AcceptedSchema>;

export const EvidenceSchema = Type.Object(
  {
    kind: StringEnum(['reply', 'b4-thanks', 'pull-request', 'pull-merged', 'commit-notice', 'stable', 'declared'], {
      description: "reply: a maintainer's words; b4-thanks: b4's thank-you; pull-request: named in a pull request's shortlog; " +
        "pull-merged: pr-tracker-bot says the pull was merged; commit-notice: a commit bot (tip-bot2); stable: a stable copy " +
        'names the upstream commit; declared: a user declared the fix',
    }),
    state: StringEnum(['accepted', 'merged'], { description: "accepted: in a maintainer's tree; merged: upstream" }),
    by: Nullable(ref(AddressSchema)),
    date: Nullable(IsoDate('when the evidence was sent')),
    messageId: Nullable(Type.String({ description: 'the message that is the evidence' })),
    tree: Nullable(Type.String()),
    branch: Nullable(Type.String()),
    commit: Nullable(Type.String({ description: 'commit id, when the evidence gives one' })),
    url: Nullable(Type.String({ description: 'where the commit is, when known' })),
  },
  { $id: 'Evidence', description: 'One piece of evidence that a patch was taken, strongest first in lists' },
);
export type Evidence = Static<typeof EvidenceSchema>;
export const PatchStateSchema = StringEnum(['proposed', 'accepted', 'merged', 'superseded'], {
  $id: 'PatchState',
  description: "proposed: nothing says it was taken; accepted: in a maintainer's tree; merged: upstream; superseded: a newer version was posted and this one was not taken",
});
