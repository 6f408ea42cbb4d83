-- Login events: every login, refresh and logout, and every failed one, for
-- operators. Purged after events.retention. result is "ok" or the error code.
CREATE TABLE login_events (
	id         BIGINT         GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at         TIMESTAMPTZ(3) NOT NULL,
	user_id    TEXT           NOT NULL,
	app_id     TEXT           NOT NULL,
	platform   TEXT           NOT NULL,
	kind       TEXT           NOT NULL,
	result     TEXT           NOT NULL,
	ip         TEXT           NOT NULL,
	user_agent TEXT           NOT NULL
);
-- A user's history, newest first; and the purge, by time.
CREATE INDEX login_events_user_at ON login_events (user_id, at DESC, id DESC);
CREATE INDEX login_events_at ON login_events (at);

-- Daily aggregates, added to by the writer in the batch's transaction, so
-- that the charts never scan the events. day is YYYY-MM-DD in the
-- deployment's day zone. Kept after the events are purged.
CREATE TABLE login_daily (
	day       TEXT   NOT NULL,
	app_id    TEXT   NOT NULL,
	platform  TEXT   NOT NULL,
	kind      TEXT   NOT NULL,
	result    TEXT   NOT NULL,
	events    BIGINT NOT NULL,
	new_users BIGINT NOT NULL,
	PRIMARY KEY (day, app_id, platform, kind, result)
);
