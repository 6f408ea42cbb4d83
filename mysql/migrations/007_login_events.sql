-- Login events: every login, refresh and logout, and every failed one, for
-- operators. Purged after events.retention. Times are DATETIME(3) in UTC.
-- result is "ok" or the error code.
CREATE TABLE login_events (
	id         BIGINT       NOT NULL AUTO_INCREMENT,
	at         DATETIME(3)  NOT NULL,
	user_id    VARCHAR(64)  NOT NULL,
	app_id     VARCHAR(64)  NOT NULL,
	platform   VARCHAR(16)  NOT NULL,
	kind       VARCHAR(16)  NOT NULL,
	result     VARCHAR(32)  NOT NULL,
	ip         VARCHAR(64)  NOT NULL,
	user_agent TEXT         NOT NULL,
	PRIMARY KEY (id),
	-- A user's history, newest first; and the purge, by time.
	KEY login_events_user_at (user_id, at),
	KEY login_events_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Daily aggregates, added to by the writer in the batch's transaction, so
-- that the charts never scan the events. day is YYYY-MM-DD in the
-- deployment's day zone. Kept after the events are purged.
CREATE TABLE login_daily (
	day       CHAR(10)    NOT NULL,
	app_id    VARCHAR(64) NOT NULL,
	platform  VARCHAR(16) NOT NULL,
	kind      VARCHAR(16) NOT NULL,
	result    VARCHAR(32) NOT NULL,
	events    BIGINT      NOT NULL,
	new_users BIGINT      NOT NULL,
	PRIMARY KEY (day, app_id, platform, kind, result)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
