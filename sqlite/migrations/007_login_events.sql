-- Login events: every login, refresh and logout, and every failed one, for
-- operators. Purged after events.retention. Times are Unix milliseconds.
-- result is "ok" or the error code.
CREATE TABLE login_events (
	id         INTEGER NOT NULL PRIMARY KEY,
	at         INTEGER NOT NULL,
	user_id    TEXT    NOT NULL,
	app_id     TEXT    NOT NULL,
	platform   TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	result     TEXT    NOT NULL,
	ip         TEXT    NOT NULL,
	user_agent TEXT    NOT NULL
);
-- A user's history, newest first; and the purge, by time.
CREATE INDEX login_events_user_at ON login_events (user_id, at);
CREATE INDEX login_events_at ON login_events (at);

-- Daily aggregates, added to by the writer in the batch's transaction, so
-- that the charts never scan the events. day is YYYY-MM-DD in the
-- deployment's day zone. Kept after the events are purged.
CREATE TABLE login_daily (
	day       TEXT    NOT NULL,
	app_id    TEXT    NOT NULL,
	platform  TEXT    NOT NULL,
	kind      TEXT    NOT NULL,
	result    TEXT    NOT NULL,
	events    INTEGER NOT NULL,
	new_users INTEGER NOT NULL,
	PRIMARY KEY (day, app_id, platform, kind, result)
);
