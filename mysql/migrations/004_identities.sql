-- Accounts with several identities: an openid in one app of one platform
-- belongs to one account, which may have several (other apps, other
-- platforms). Each existing user becomes an account with its one WeChat
-- identity; users keeps only what is the account's own.
-- MySQL commits each DDL statement by itself: every statement here can run
-- again after a failure part way (IF NOT EXISTS, duplicates ignored, one
-- ALTER that drops everything at once).
CREATE TABLE IF NOT EXISTS identities (
	platform   VARCHAR(16)  NOT NULL,
	app_id     VARCHAR(64)  NOT NULL,
	openid     VARCHAR(128) NOT NULL,
	unionid    VARCHAR(128) NOT NULL DEFAULT '',
	user_id    VARCHAR(64)  NOT NULL,
	created_at DATETIME(3)  NOT NULL,
	PRIMARY KEY (platform, app_id, openid),
	KEY identities_user (user_id, app_id),
	KEY identities_union (platform, unionid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The account that new identities with a unionid join, per platform.
CREATE TABLE IF NOT EXISTS identity_unions (
	platform VARCHAR(16)  NOT NULL,
	unionid  VARCHAR(128) NOT NULL,
	user_id  VARCHAR(64)  NOT NULL,
	PRIMARY KEY (platform, unionid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO identities (platform, app_id, openid, unionid, user_id, created_at)
	SELECT 'weixin', app_id, openid, unionid, id, created_at FROM users
	ON DUPLICATE KEY UPDATE user_id = identities.user_id;

-- Users who share a unionid from before: the oldest account is the one
-- new identities join.
INSERT INTO identity_unions (platform, unionid, user_id)
	SELECT i.platform, i.unionid, i.user_id FROM identities i
	WHERE i.unionid <> '' AND NOT EXISTS (SELECT 1 FROM identities j
		WHERE j.platform = i.platform AND j.unionid = i.unionid
		AND (j.created_at < i.created_at OR (j.created_at = i.created_at AND j.user_id < i.user_id)))
	ON DUPLICATE KEY UPDATE user_id = identity_unions.user_id;

ALTER TABLE users DROP INDEX users_app_openid, DROP INDEX users_app_created,
	DROP COLUMN app_id, DROP COLUMN openid, DROP COLUMN unionid;
