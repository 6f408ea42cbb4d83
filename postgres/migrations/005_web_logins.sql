-- Tickets of scan to log in on the web (see miniauth.WebLoginStore), by the
-- SHA-256 of the ticket: the ticket itself is a secret. status is pending,
-- scanned, confirmed or denied; delivered is 1 once the tokens of a
-- confirmed ticket were handed out.
CREATE TABLE web_logins (
	ticket_hash TEXT           NOT NULL PRIMARY KEY,
	app_id      TEXT           NOT NULL,
	status      TEXT           NOT NULL,
	user_id     TEXT           NOT NULL DEFAULT '',
	user_app_id TEXT           NOT NULL DEFAULT '',
	openid      TEXT           NOT NULL DEFAULT '',
	created_at  TIMESTAMPTZ(3) NOT NULL,
	expires_at  TIMESTAMPTZ(3) NOT NULL,
	delivered   SMALLINT       NOT NULL DEFAULT 0
);
CREATE INDEX web_logins_expires ON web_logins (expires_at);
