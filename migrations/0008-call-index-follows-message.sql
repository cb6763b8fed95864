-- A deleted message takes its call index along. Ingest inserts a new patch's call and order changes without
-- first deleting old ones (there are none for a Message-ID never stored): a message deleted by hand and
-- ingested again must not find its old rows in the way.
DELETE FROM call_changes WHERE message_id NOT IN (SELECT message_id FROM messages);
DELETE FROM order_changes WHERE message_id NOT IN (SELECT message_id FROM messages);
CREATE TRIGGER messages_calls_deleted AFTER DELETE ON messages BEGIN
  DELETE FROM call_changes WHERE message_id = old.message_id;
  DELETE FROM order_changes WHERE message_id = old.message_id;
END;
