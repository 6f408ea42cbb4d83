-- The feed of session endings (see miniauth.SessionEndingStore): every node
-- reads it to verify sealed access tokens without the session store. seq is
-- given by the writer (the newest plus one, not a sequence, whose numbers
-- commit out of order), so that endings are numbered in the order they
-- commit. Rows are purged after expires_at, but never the newest.
CREATE TABLE session_endings (
	seq        BIGINT         NOT NULL PRIMARY KEY,
	session_id TEXT           NOT NULL, -- '': every session of user_id
	user_id    TEXT           NOT NULL, -- '': session_id alone
	ended_at   TIMESTAMPTZ(3) NOT NULL,
	expires_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX session_endings_expires ON session_endings (expires_at);
