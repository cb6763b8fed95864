-- public-inbox epochs read (lore's git archives): per epoch, the last commit whose message is stored, so the
-- next ingest reads only the commits after it. Written in the same transaction as the batch that ends there.
CREATE TABLE inbox_epochs (
  -- the epoch's git directory (or the bundle file) as resolved on disk
  path TEXT PRIMARY KEY,
  last_commit TEXT NOT NULL,
  -- position of last_commit in the epoch's history (1 = its first commit)
  commits INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);

-- The last sync of each inbox (relapse sync, serve's schedule), for /api/health.
CREATE TABLE inbox_syncs (
  inbox TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  last_attempt_at TEXT NOT NULL,
  last_success_at TEXT,
  -- the last attempt's error (NULL when it succeeded)
  last_error TEXT,
  -- attempts failed in a row
  failures INTEGER NOT NULL DEFAULT 0,
  new_messages INTEGER NOT NULL DEFAULT 0
);

-- Named locks between processes sharing the database (one syncing ingest at a time). A holder refreshes
-- heartbeat_at; a lock whose heartbeat is older than its lease is free again (its holder died).
CREATE TABLE locks (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  acquired_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
);
