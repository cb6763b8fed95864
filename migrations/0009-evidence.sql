-- Evidence that patches were taken (acceptance as evidence). Each message keeps its notice: what it says about
-- patches being taken (a maintainer's reply, b4's thank-you, a pull request, a bot's or a stable copy's commit),
-- read when it is parsed, as JSON; most messages have none. Derivation concludes the evidence from the notices,
-- one row per message it is about (a patch, a cover, a pull request), kind and message that is the evidence.
ALTER TABLE messages ADD COLUMN notice TEXT;
CREATE INDEX messages_notice ON messages(message_id) WHERE notice IS NOT NULL;
CREATE TABLE evidence (
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  message_id TEXT NOT NULL,
  state TEXT NOT NULL,
  -- 0 for the strongest evidence of its target, then 1, 2 ...
  rank INTEGER NOT NULL,
  by_name TEXT,
  by_email TEXT,
  date TEXT,
  tree TEXT,
  branch TEXT,
  commit_id TEXT,
  url TEXT,
  PRIMARY KEY (target, kind, message_id)
) WITHOUT ROWID;
CREATE INDEX evidence_message ON evidence(message_id);
CREATE INDEX evidence_state ON evidence(state, target);
-- A database with messages in it reads their notices from their own text at its next derivation; a new one has
-- nothing to read.
INSERT INTO meta (key, value) SELECT 'evidence.notices', '1' WHERE NOT EXISTS (SELECT 1 FROM messages);
