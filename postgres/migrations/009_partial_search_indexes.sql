-- A new account has no phone and no nickname yet, and most identities no
-- unionid: those keys are '' and searched for only when not ''. Left out
-- of their indexes, they no longer cost every first login three index
-- entries and three pages written. The queries that use these indexes say
-- "<> ''" so that the planner may.
DROP INDEX IF EXISTS users_phone;
CREATE INDEX users_phone ON users (phone) WHERE phone <> '';
DROP INDEX IF EXISTS users_nickname;
CREATE INDEX users_nickname ON users (nickname COLLATE "C") WHERE nickname <> '';
DROP INDEX IF EXISTS identities_union;
CREATE INDEX identities_union ON identities (platform, unionid) WHERE unionid <> '';
