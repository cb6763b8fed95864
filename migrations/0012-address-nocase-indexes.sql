-- Addresses are stored as their senders wrote them (letter case kept) and compared letter case aside
-- (ingest/core/address.ts): the look-ups by sender (`from_email = ? COLLATE NOCASE`, `author_email = ? COLLATE
-- NOCASE`) need their indexes in that collation, or each would read the whole table.
DROP INDEX IF EXISTS messages_from;
CREATE INDEX messages_from ON messages(from_email COLLATE NOCASE);
DROP INDEX IF EXISTS series_author;
CREATE INDEX series_author ON series(author_email COLLATE NOCASE);
