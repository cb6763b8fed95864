-- Row counts kept by triggers, so /api/health answers in constant time on a large archive and stays
-- exact while an ingest writes.
CREATE TABLE counts (
  name TEXT PRIMARY KEY,
  n INTEGER NOT NULL
);
INSERT INTO counts (name, n) SELECT 'messages', count(*) FROM messages;
INSERT INTO counts (name, n) SELECT 'patches', count(*) FROM messages WHERE is_patch = 1;
INSERT INTO counts (name, n) SELECT 'series', count(*) FROM series;
INSERT INTO counts (name, n) SELECT 'threads', count(*) FROM threads;
INSERT INTO counts (name, n) SELECT 'quarantine', count(*) FROM quarantine;

CREATE TRIGGER messages_counted AFTER INSERT ON messages BEGIN
  UPDATE counts SET n = n + 1 WHERE name = 'messages';
  UPDATE counts SET n = n + NEW.is_patch WHERE name = 'patches';
END;
CREATE TRIGGER messages_uncounted AFTER DELETE ON messages BEGIN
  UPDATE counts SET n = n - 1 WHERE name = 'messages';
  UPDATE counts SET n = n - OLD.is_patch WHERE name = 'patches';
END;
CREATE TRIGGER messages_recounted AFTER UPDATE OF is_patch ON messages BEGIN
  UPDATE counts SET n = n - OLD.is_patch + NEW.is_patch WHERE name = 'patches';
END;
CREATE TRIGGER series_counted AFTER INSERT ON series BEGIN UPDATE counts SET n = n + 1 WHERE name = 'series'; END;
CREATE TRIGGER series_uncounted AFTER DELETE ON series BEGIN UPDATE counts SET n = n - 1 WHERE name = 'series'; END;
CREATE TRIGGER threads_counted AFTER INSERT ON threads BEGIN UPDATE counts SET n = n + 1 WHERE name = 'threads'; END;
CREATE TRIGGER threads_uncounted AFTER DELETE ON threads BEGIN UPDATE counts SET n = n - 1 WHERE name = 'threads'; END;
CREATE TRIGGER quarantine_counted AFTER INSERT ON quarantine BEGIN UPDATE counts SET n = n + 1 WHERE name = 'quarantine'; END;
CREATE TRIGGER quarantine_uncounted AFTER DELETE ON quarantine BEGIN UPDATE counts SET n = n - 1 WHERE name = 'quarantine'; END;
