-- The session ledger: how sessions kept in Redis ended, where a Redis that
-- loses data cannot undo it (see miniauth.SessionLedger). Rows are purged
-- after expires_at. Times are Unix milliseconds.
CREATE TABLE ledger_revoked_sessions (
	session_id TEXT    NOT NULL PRIMARY KEY,
	expires_at INTEGER NOT NULL
);
CREATE INDEX ledger_revoked_sessions_expires ON ledger_revoked_sessions (expires_at);

-- The latest rotation of each rotated session: its refresh hash since then.
CREATE TABLE ledger_rotations (
	session_id   TEXT    NOT NULL PRIMARY KEY,
	refresh_hash TEXT    NOT NULL,
	rotated_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
);
CREATE INDEX ledger_rotations_expires ON ledger_rotations (expires_at);

-- The user's sessions created at or before ended_at have ended (a disable,
-- or "log out everywhere").
CREATE TABLE ledger_user_sessions_ended (
	user_id    TEXT    NOT NULL PRIMARY KEY,
	ended_at   INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX ledger_user_sessions_ended_expires ON ledger_user_sessions_ended (expires_at);

-- Every Redis instance (run_id) the nodes met, and when first: what Redis
-- held before that may have come back from an old snapshot.
CREATE TABLE redis_instances (
	run_id     TEXT    NOT NULL PRIMARY KEY,
	first_seen INTEGER NOT NULL
);
