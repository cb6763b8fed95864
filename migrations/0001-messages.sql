-- Messages as archived: raw bytes kept as received (not compressed), parsed fields beside them. (0007 moves the
-- bytes to message_bodies. This comment was corrected after the migration shipped; its SQL is unchanged.)
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL UNIQUE,
  synthetic INTEGER NOT NULL DEFAULT 0,
  list TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  version INTEGER NOT NULL DEFAULT 1,
  idx INTEGER,
  total INTEGER,
  is_reply INTEGER NOT NULL DEFAULT 0,
  from_name TEXT NOT NULL DEFAULT '',
  from_email TEXT NOT NULL DEFAULT '',
  date TEXT,
  in_reply_to TEXT,
  refs TEXT NOT NULL DEFAULT '[]',
  kind TEXT NOT NULL,
  is_patch INTEGER NOT NULL DEFAULT 0,
  own_text TEXT NOT NULL DEFAULT '',
  diff_text TEXT NOT NULL DEFAULT '',
  says_applied INTEGER NOT NULL DEFAULT 0,
  flowed_stripped INTEGER NOT NULL DEFAULT 0,
  change_id TEXT,
  supersedes TEXT,
  source TEXT NOT NULL,
  offset INTEGER NOT NULL,
  size INTEGER NOT NULL,
  raw BLOB NOT NULL,
  ingested_at TEXT NOT NULL,
  -- derived (recomputed by the derive step)
  thread_id INTEGER,
  parent TEXT,
  -- the patch or cover a reply answers (nearest one up its references)
  answers TEXT,
  thread_pos INTEGER,
  series_id INTEGER,
  accepted_message TEXT,
  accepted_by_name TEXT,
  accepted_by_email TEXT,
  accepted_date TEXT
);
CREATE INDEX messages_date ON messages(date, message_id);
CREATE INDEX messages_thread ON messages(thread_id, thread_pos);
CREATE INDEX messages_series ON messages(series_id, idx);
CREATE INDEX messages_from ON messages(from_email);
CREATE INDEX messages_patch ON messages(is_patch, date);
CREATE INDEX messages_in_reply_to ON messages(in_reply_to);
CREATE INDEX messages_answers ON messages(answers);

CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY,
  reason TEXT NOT NULL,
  source TEXT NOT NULL,
  offset INTEGER NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  raw BLOB NOT NULL,
  created_at TEXT NOT NULL
);

-- Files a patch touches, with hunk headers and ranges (lines stay in diff_text).
CREATE TABLE patch_files (
  message_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  path TEXT NOT NULL,
  old_path TEXT,
  status TEXT NOT NULL,
  additions INTEGER NOT NULL,
  deletions INTEGER NOT NULL,
  hunks TEXT NOT NULL,
  PRIMARY KEY (message_id, seq)
);
CREATE INDEX patch_files_path ON patch_files(path);

-- Trailers given in the message itself; replies' trailers are attached to patches at query time.
CREATE TABLE trailers (
  message_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (message_id, seq)
);

-- Progress per archive file, so an interrupted ingest resumes where it stopped.
CREATE TABLE sources (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  resume_offset INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
