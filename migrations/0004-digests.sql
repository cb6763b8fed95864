-- One row per week and recipient once a digest went out, so nothing is sent twice.
CREATE TABLE digests_sent (
  week TEXT NOT NULL,
  recipient TEXT NOT NULL,
  sent_at TEXT NOT NULL,
  smtp_message_id TEXT,
  PRIMARY KEY (week, recipient)
);

-- Failed deliveries, retried with back-off and reported in /api/health.
CREATE TABLE digest_failures (
  week TEXT NOT NULL,
  recipient TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  next_attempt_at TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (week, recipient)
);
