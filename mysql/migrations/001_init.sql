-- Users and sessions. Times are DATETIME(3) in UTC (the store truncates to
-- milliseconds before writing). utf8mb4_bin: openids and token hashes
-- compare byte for byte (a case-insensitive collation would make "abc" and
-- "ABC" one openid), and nicknames may hold emoji.
CREATE TABLE users (
	id          VARCHAR(64)  NOT NULL,
	app_id      VARCHAR(64)  NOT NULL,
	openid      VARCHAR(128) NOT NULL,
	unionid     VARCHAR(128) NOT NULL DEFAULT '',
	nickname    TEXT         NOT NULL,
	avatar_url  TEXT         NOT NULL,
	phone       VARCHAR(64)  NOT NULL DEFAULT '',
	disabled    BOOLEAN      NOT NULL DEFAULT FALSE,
	created_at  DATETIME(3)  NOT NULL,
	updated_at  DATETIME(3)  NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY users_app_openid (app_id, openid),
	KEY users_created (created_at, id),
	KEY users_app_created (app_id, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sessions (
	id                 VARCHAR(64)  NOT NULL,
	user_id            VARCHAR(64)  NOT NULL,
	app_id             VARCHAR(64)  NOT NULL,
	openid             VARCHAR(128) NOT NULL,
	session_key        TEXT         NOT NULL,
	access_hash        VARCHAR(128) NOT NULL,
	refresh_hash       VARCHAR(128) NOT NULL,
	user_agent         TEXT         NOT NULL,
	ip                 VARCHAR(64)  NOT NULL DEFAULT '',
	created_at         DATETIME(3)  NOT NULL,
	last_used_at       DATETIME(3)  NOT NULL,
	access_expires_at  DATETIME(3)  NOT NULL,
	refresh_expires_at DATETIME(3)  NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY sessions_access_hash (access_hash),
	UNIQUE KEY sessions_refresh_hash (refresh_hash),
	KEY sessions_user (user_id),
	KEY sessions_refresh_expires (refresh_expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Refresh tokens already rotated away, to recognise their reuse. They go
-- with their session.
CREATE TABLE used_refresh_tokens (
	refresh_hash VARCHAR(128) NOT NULL,
	session_id   VARCHAR(64)  NOT NULL,
	used_at      DATETIME(3)  NOT NULL,
	PRIMARY KEY (refresh_hash),
	KEY used_refresh_tokens_session (session_id),
	CONSTRAINT used_refresh_tokens_session_fk FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
