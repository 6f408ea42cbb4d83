-- Tickets of scan to log in on the web (see miniauth.WebLoginStore), by the
-- SHA-256 of the ticket: the ticket itself is a secret. status is pending,
-- scanned, confirmed or denied; delivered is 1 once the tokens of a
-- confirmed ticket were handed out. Times are DATETIME(3) in UTC.
CREATE TABLE web_logins (
	ticket_hash VARCHAR(64)  NOT NULL,
	app_id      VARCHAR(128) NOT NULL,
	status      VARCHAR(16)  NOT NULL,
	user_id     VARCHAR(64)  NOT NULL DEFAULT '',
	user_app_id VARCHAR(128) NOT NULL DEFAULT '',
	openid      VARCHAR(128) NOT NULL DEFAULT '',
	created_at  DATETIME(3)  NOT NULL,
	expires_at  DATETIME(3)  NOT NULL,
	delivered   TINYINT      NOT NULL DEFAULT 0,
	PRIMARY KEY (ticket_hash),
	KEY web_logins_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
