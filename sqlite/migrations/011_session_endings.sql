-- The feed of session endings (see miniauth.SessionEndingStore): every node
-- reads it to verify sealed access tokens without the session store. seq is
-- given by the writer (the newest plus one), so that endings are numbered
-- in the order they commit. Rows are purged after expires_at, but never
-- the newest. Times are Unix milliseconds.
CREATE TABLE session_endings (
	seq        INTEGER NOT NULL PRIMARY KEY,
	session_id TEXT    NOT NULL, -- '': every session of user_id
	user_id    TEXT    NOT NULL, -- '': session_id alone
	ended_at   INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX session_endings_expires ON session_endings (expires_at);
