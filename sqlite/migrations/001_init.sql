-- Users and sessions. Times are Unix milliseconds (INTEGER), UTC: they
-- compare and sort as numbers, at the precision every engine keeps.
CREATE TABLE users (
	id          TEXT    NOT NULL PRIMARY KEY,
	app_id      TEXT    NOT NULL,
	openid      TEXT    NOT NULL,
	unionid     TEXT    NOT NULL DEFAULT '',
	nickname    TEXT    NOT NULL DEFAULT '',
	avatar_url  TEXT    NOT NULL DEFAULT '',
	phone       TEXT    NOT NULL DEFAULT '',
	disabled    INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (app_id, openid)
);
CREATE INDEX users_created ON users (created_at, id);
CREATE INDEX users_app_created ON users (app_id, created_at, id);

CREATE TABLE sessions (
	id                 TEXT    NOT NULL PRIMARY KEY,
	user_id            TEXT    NOT NULL,
	app_id             TEXT    NOT NULL,
	openid             TEXT    NOT NULL,
	session_key        TEXT    NOT NULL,
	access_hash        TEXT    NOT NULL UNIQUE,
	refresh_hash       TEXT    NOT NULL UNIQUE,
	user_agent         TEXT    NOT NULL DEFAULT '',
	ip                 TEXT    NOT NULL DEFAULT '',
	created_at         INTEGER NOT NULL,
	last_used_at       INTEGER NOT NULL,
	access_expires_at  INTEGER NOT NULL,
	refresh_expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_refresh_expires ON sessions (refresh_expires_at);

-- Refresh tokens already rotated away, to recognise their reuse. They go
-- with their session.
CREATE TABLE used_refresh_tokens (
	refresh_hash TEXT    NOT NULL PRIMARY KEY,
	session_id   TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	used_at      INTEGER NOT NULL
);
CREATE INDEX used_refresh_tokens_session ON used_refresh_tokens (session_id);
