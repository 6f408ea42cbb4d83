-- Keys that sign JWT access tokens, shared by every node. The private half
-- is sealed (AES-GCM) with a key that is not in the database. generation is
-- unique: of several nodes adding the next key at once, one insert wins.
CREATE TABLE signing_keys (
	kid            TEXT           NOT NULL PRIMARY KEY,
	generation     BIGINT         NOT NULL,
	algorithm      TEXT           NOT NULL,
	public_jwk     TEXT           NOT NULL,
	sealed_private TEXT           NOT NULL,
	created_at     TIMESTAMPTZ(3) NOT NULL,
	not_before     TIMESTAMPTZ(3) NOT NULL,
	CONSTRAINT signing_keys_generation UNIQUE (generation)
);
