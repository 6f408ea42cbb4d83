-- The session ledger: how sessions kept in Redis ended, where a Redis that
-- loses data cannot undo it (see miniauth.SessionLedger). Rows are purged
-- after expires_at. Times are DATETIME(3) in UTC.
CREATE TABLE ledger_revoked_sessions (
	session_id VARCHAR(64) NOT NULL,
	expires_at DATETIME(3) NOT NULL,
	PRIMARY KEY (session_id),
	KEY ledger_revoked_sessions_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The latest rotation of each rotated session: its refresh hash since then.
CREATE TABLE ledger_rotations (
	session_id   VARCHAR(64)  NOT NULL,
	refresh_hash VARCHAR(128) NOT NULL,
	rotated_at   DATETIME(3)  NOT NULL,
	expires_at   DATETIME(3)  NOT NULL,
	PRIMARY KEY (session_id),
	KEY ledger_rotations_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The user's sessions created at or before ended_at have ended (a disable,
-- or "log out everywhere").
CREATE TABLE ledger_user_sessions_ended (
	user_id    VARCHAR(64) NOT NULL,
	ended_at   DATETIME(3) NOT NULL,
	expires_at DATETIME(3) NOT NULL,
	PRIMARY KEY (user_id),
	KEY ledger_user_sessions_ended_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every Redis instance (run_id) the nodes met, and when first: what Redis
-- held before that may have come back from an old snapshot.
CREATE TABLE redis_instances (
	run_id     VARCHAR(64) NOT NULL,
	first_seen DATETIME(3) NOT NULL,
	PRIMARY KEY (run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
