-- Operators of the console, their sessions (tokens kept as SHA-256 hashes)
-- and the audit log of their actions. failed_count failures since
-- failed_since lock an operator until locked_until (NULL: not locked).
CREATE TABLE operators (
	id            TEXT           NOT NULL PRIMARY KEY,
	name          TEXT           NOT NULL,
	password_hash TEXT           NOT NULL,
	created_at    TIMESTAMPTZ(3) NOT NULL,
	updated_at    TIMESTAMPTZ(3) NOT NULL,
	failed_count  INTEGER        NOT NULL DEFAULT 0,
	failed_since  TIMESTAMPTZ(3),
	locked_until  TIMESTAMPTZ(3),
	CONSTRAINT operators_name UNIQUE (name)
);

CREATE TABLE operator_sessions (
	id          TEXT           NOT NULL PRIMARY KEY,
	token_hash  TEXT           NOT NULL,
	operator_id TEXT           NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
	ip          TEXT           NOT NULL DEFAULT '',
	user_agent  TEXT           NOT NULL DEFAULT '',
	created_at  TIMESTAMPTZ(3) NOT NULL,
	expires_at  TIMESTAMPTZ(3) NOT NULL,
	CONSTRAINT operator_sessions_token UNIQUE (token_hash)
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);
CREATE INDEX operator_sessions_expires ON operator_sessions (expires_at);

CREATE TABLE audit_log (
	id         TEXT           NOT NULL PRIMARY KEY,
	at         TIMESTAMPTZ(3) NOT NULL,
	operator   TEXT           NOT NULL,
	action     TEXT           NOT NULL,
	target     TEXT           NOT NULL DEFAULT '',
	ip         TEXT           NOT NULL DEFAULT '',
	user_agent TEXT           NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);

-- The console's user search: each way to find a user has its index, and
-- pages follow (created_at, id). The nickname prefix is a range in byte
-- order (COLLATE "C"), whatever the database's collation.
-- Openids and unionids live on identities (004): searched there.
CREATE INDEX identities_openid ON identities (openid);
CREATE INDEX identities_unionid ON identities (unionid);
CREATE INDEX users_phone ON users (phone);
CREATE INDEX users_nickname ON users (nickname COLLATE "C");
CREATE INDEX users_disabled_created ON users (disabled, created_at DESC, id DESC);
-- The dashboard counts sessions started per day.
CREATE INDEX sessions_created ON sessions (created_at);
