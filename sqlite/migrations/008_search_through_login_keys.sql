-- The console finds an openid or a unionid through the keys logins already
-- keep: (platform, app_id, openid), the primary key, for each app, and
-- identities_union (platform, unionid) for each platform. The indexes on
-- openid and on unionid alone cost every new identity a page write at a
-- random place (their keys are random), for searches that are rare.
DROP INDEX IF EXISTS identities_openid;
DROP INDEX IF EXISTS identities_unionid;
