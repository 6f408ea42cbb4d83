-- Keys that sign JWT access tokens, shared by every node. The private half
-- is sealed (AES-GCM) with a key that is not in the database. generation is
-- unique: of several nodes adding the next key at once, one insert wins.
CREATE TABLE signing_keys (
	kid            TEXT    NOT NULL PRIMARY KEY,
	generation     INTEGER NOT NULL UNIQUE,
	algorithm      TEXT    NOT NULL,
	public_jwk     TEXT    NOT NULL,
	sealed_private TEXT    NOT NULL,
	created_at     INTEGER NOT NULL,
	not_before     INTEGER NOT NULL
);
