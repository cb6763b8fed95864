-- A message's bulky parts (own text, diff text, raw bytes) move beside it, keyed by its row id. Derivation
-- updates a message's thread, series and acceptance columns, and SQLite rewrites a whole row on update:
-- with the raw bytes inline, the first derivation of a 100k archive rewrote every message's bytes, and
-- every scan of the heads walked past them.
CREATE TABLE message_bodies (
  id INTEGER PRIMARY KEY,
  own_text TEXT NOT NULL DEFAULT '',
  diff_text TEXT NOT NULL DEFAULT '',
  raw BLOB NOT NULL
);
INSERT INTO message_bodies (id, own_text, diff_text, raw) SELECT id, own_text, diff_text, raw FROM messages;
ALTER TABLE messages DROP COLUMN own_text;
ALTER TABLE messages DROP COLUMN diff_text;
ALTER TABLE messages DROP COLUMN raw;
-- a deleted message takes its body along (row ids can be reused)
CREATE TRIGGER messages_body_deleted AFTER DELETE ON messages BEGIN DELETE FROM message_bodies WHERE id = old.id; END;
