-- The feed of session endings (see miniauth.SessionEndingStore): every node
-- reads it to verify sealed access tokens without the session store. seq is
-- given by the writer (the newest plus one, not AUTO_INCREMENT, whose
-- numbers commit out of order), so that endings are numbered in the order
-- they commit. Rows are purged after expires_at, but never the newest.
CREATE TABLE session_endings (
	seq        BIGINT      NOT NULL,
	session_id VARCHAR(64) NOT NULL, -- '': every session of user_id
	user_id    VARCHAR(64) NOT NULL, -- '': session_id alone
	ended_at   DATETIME(3) NOT NULL,
	expires_at DATETIME(3) NOT NULL,
	PRIMARY KEY (seq),
	KEY session_endings_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
