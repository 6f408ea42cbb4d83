-- Accounts with several identities: an openid in one app of one platform
-- belongs to one account, which may have several (other apps, other
-- platforms). Each existing user becomes an account with its one WeChat
-- identity; users keeps only what is the account's own.
CREATE TABLE identities (
	platform   TEXT           NOT NULL,
	app_id     TEXT           NOT NULL,
	openid     TEXT           NOT NULL,
	unionid    TEXT           NOT NULL DEFAULT '',
	user_id    TEXT           NOT NULL,
	created_at TIMESTAMPTZ(3) NOT NULL,
	PRIMARY KEY (platform, app_id, openid)
);
CREATE INDEX identities_user ON identities (user_id, app_id);
CREATE INDEX identities_union ON identities (platform, unionid);

-- The account that new identities with a unionid join, per platform.
CREATE TABLE identity_unions (
	platform TEXT NOT NULL,
	unionid  TEXT NOT NULL,
	user_id  TEXT NOT NULL,
	PRIMARY KEY (platform, unionid)
);

INSERT INTO identities (platform, app_id, openid, unionid, user_id, created_at)
	SELECT 'weixin', app_id, openid, unionid, id, created_at FROM users;

-- Users who share a unionid from before: the oldest account is the one
-- new identities join.
INSERT INTO identity_unions (platform, unionid, user_id)
	SELECT i.platform, i.unionid, i.user_id FROM identities i
	WHERE i.unionid <> '' AND NOT EXISTS (SELECT 1 FROM identities j
		WHERE j.platform = i.platform AND j.unionid = i.unionid
		AND (j.created_at < i.created_at OR (j.created_at = i.created_at AND j.user_id < i.user_id)));

DROP INDEX users_app_created;
ALTER TABLE users DROP CONSTRAINT users_app_openid, DROP COLUMN app_id, DROP COLUMN openid, DROP COLUMN unionid;
