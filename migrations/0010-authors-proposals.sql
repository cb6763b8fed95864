-- Authors as lists post them, proposals, resends and backports, regressions per fix and removing chain (issue 15).
-- The list rewrote the sender (DMARC): from_name/from_email hold the author it named (core/author.ts).
ALTER TABLE messages ADD COLUMN from_rewritten INTEGER NOT NULL DEFAULT 0;
-- A stable backport's upstream commit ("commit <sha> upstream."; '' when only its subject says it is one, AUTOSEL,
-- "[PATCH 5.4 012/100]"): backports are never versions.
ALTER TABLE messages ADD COLUMN upstream_commit TEXT;
-- How a series relates to the one before it in its chain: 'version' (a new version), 'resend' (the same version
-- sent again), 'partial' (a patch of it resent into its thread as a new version). backport_of: the anchor of the
-- original series a stable backport was made from (backports are in no version chain).
ALTER TABLE series ADD COLUMN link TEXT;
ALTER TABLE series ADD COLUMN backport_of TEXT;
CREATE INDEX series_backport_of ON series(backport_of) WHERE backport_of IS NOT NULL;
-- A regression's detail: every call site removed, how the call went, versions, whether the removal was taken.
ALTER TABLE regressions ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
