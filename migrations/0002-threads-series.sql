-- Threads and series are derived; their ids stay stable across re-derivation because they are keyed
-- by an anchor message (thread root, first message of a posting).
CREATE TABLE threads (
  id INTEGER PRIMARY KEY,
  root TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  last_date TEXT
);

CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  anchor TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  version INTEGER NOT NULL,
  total INTEGER NOT NULL,
  cover TEXT,
  author_name TEXT NOT NULL DEFAULT '',
  author_email TEXT NOT NULL DEFAULT '',
  date TEXT,
  complete INTEGER NOT NULL DEFAULT 0,
  chain_id INTEGER,
  previous_id INTEGER,
  next_id INTEGER,
  accepted_message TEXT,
  accepted_by_name TEXT,
  accepted_by_email TEXT,
  accepted_date TEXT,
  live INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX series_date ON series(date, id);
CREATE INDEX series_author ON series(author_email);
