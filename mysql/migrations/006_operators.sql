-- Operators of the console, their sessions (tokens kept as SHA-256 hashes)
-- and the audit log of their actions. failed_count failures since
-- failed_since lock an operator until locked_until (NULL: not locked).
CREATE TABLE operators (
	id            VARCHAR(64)  NOT NULL,
	name          VARCHAR(64)  NOT NULL,
	password_hash VARCHAR(255) NOT NULL,
	created_at    DATETIME(3)  NOT NULL,
	updated_at    DATETIME(3)  NOT NULL,
	failed_count  INT          NOT NULL DEFAULT 0,
	failed_since  DATETIME(3)  NULL,
	locked_until  DATETIME(3)  NULL,
	PRIMARY KEY (id),
	UNIQUE KEY operators_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE operator_sessions (
	id          VARCHAR(64)  NOT NULL,
	token_hash  VARCHAR(128) NOT NULL,
	operator_id VARCHAR(64)  NOT NULL,
	ip          VARCHAR(64)  NOT NULL DEFAULT '',
	user_agent  TEXT         NOT NULL,
	created_at  DATETIME(3)  NOT NULL,
	expires_at  DATETIME(3)  NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY operator_sessions_token (token_hash),
	KEY operator_sessions_operator (operator_id),
	KEY operator_sessions_expires (expires_at),
	CONSTRAINT operator_sessions_fk FOREIGN KEY (operator_id) REFERENCES operators (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE audit_log (
	id         VARCHAR(64)  NOT NULL,
	at         DATETIME(3)  NOT NULL,
	operator   VARCHAR(64)  NOT NULL,
	action     VARCHAR(32)  NOT NULL,
	target     VARCHAR(128) NOT NULL DEFAULT '',
	ip         VARCHAR(64)  NOT NULL DEFAULT '',
	user_agent TEXT         NOT NULL,
	PRIMARY KEY (id),
	KEY audit_log_at (at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The console's user search: each way to find a user has its index, and
-- pages follow (created_at, id). nickname is TEXT: its index covers the
-- first 64 characters, enough for a prefix (nicknames have at most 32).
-- Openids and unionids live on identities (004): searched there.
CREATE INDEX identities_openid ON identities (openid);
CREATE INDEX identities_unionid ON identities (unionid);
CREATE INDEX users_phone ON users (phone);
CREATE INDEX users_nickname ON users (nickname(64));
CREATE INDEX users_disabled_created ON users (disabled, created_at, id);
-- The dashboard counts sessions started per day.
CREATE INDEX sessions_created ON sessions (created_at);
