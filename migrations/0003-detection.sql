-- The call index (per patch, incremental) and what the fix rules conclude from it.
CREATE TABLE call_changes (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  file TEXT NOT NULL,
  function TEXT,
  path TEXT,
  call TEXT NOT NULL,
  op TEXT NOT NULL,
  line TEXT NOT NULL,
  rule TEXT NOT NULL,
  UNIQUE (message_id, seq)
);
CREATE INDEX call_changes_file ON call_changes(file, function);
CREATE INDEX call_changes_path ON call_changes(path);
CREATE INDEX call_changes_call ON call_changes(call);

CREATE TABLE order_changes (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  file TEXT NOT NULL,
  function TEXT NOT NULL,
  path TEXT,
  call TEXT NOT NULL,
  now_before TEXT NOT NULL,
  now_after TEXT NOT NULL,
  rule TEXT NOT NULL,
  UNIQUE (message_id, seq)
);
CREATE INDEX order_changes_file ON order_changes(file, function);

-- Which patches have been indexed under which rules (so a rule change can trigger a reindex).
CREATE TABLE indexed (
  message_id TEXT PRIMARY KEY,
  rules_hash TEXT NOT NULL
);

CREATE TABLE fixes (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  file TEXT NOT NULL,
  function TEXT,
  path TEXT,
  call TEXT NOT NULL,
  before TEXT NOT NULL DEFAULT '[]',
  introduced_by TEXT,
  declared INTEGER NOT NULL DEFAULT 0,
  moved_from TEXT,
  moved_to TEXT,
  status TEXT NOT NULL,
  history TEXT NOT NULL DEFAULT '[]',
  live INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE regressions (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  fix_key TEXT NOT NULL,
  fix_message TEXT,
  removed_by TEXT NOT NULL,
  evidence TEXT NOT NULL,
  first_seen TEXT,
  status TEXT NOT NULL,
  resolved_by TEXT,
  resolution TEXT,
  related TEXT NOT NULL DEFAULT '[]',
  live INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX regressions_status ON regressions(status, first_seen);

-- User state that derivation never overwrites.
CREATE TABLE acknowledgements (
  regression_key TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  by TEXT,
  at TEXT NOT NULL
);

CREATE TABLE declared_fixes (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  file TEXT NOT NULL,
  function TEXT,
  path TEXT,
  call TEXT NOT NULL,
  before TEXT NOT NULL DEFAULT '[]',
  introduced_by TEXT,
  note TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (kind, file, function, call, before)
);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  ref TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_at ON events(at, id);
