-- Every Message-ID a message refers to (References and In-Reply-To), indexed by the referred id, so a
-- late parent finds the replies that were waiting for it without scanning the archive.
CREATE TABLE message_refs (
  ref TEXT NOT NULL,
  message_id TEXT NOT NULL,
  PRIMARY KEY (ref, message_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO message_refs (ref, message_id) SELECT j.value, m.message_id FROM messages m, json_each(m.refs) j;
INSERT OR IGNORE INTO message_refs (ref, message_id) SELECT in_reply_to, message_id FROM messages WHERE in_reply_to IS NOT NULL;
