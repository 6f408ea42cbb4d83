-- Keys that sign JWT access tokens, shared by every node. The private half
-- is sealed (AES-GCM) with a key that is not in the database. generation is
-- unique: of several nodes adding the next key at once, one insert wins.
CREATE TABLE signing_keys (
	kid            VARCHAR(128) NOT NULL,
	generation     BIGINT       NOT NULL,
	algorithm      VARCHAR(16)  NOT NULL,
	public_jwk     TEXT         NOT NULL,
	sealed_private TEXT         NOT NULL,
	created_at     DATETIME(3)  NOT NULL,
	not_before     DATETIME(3)  NOT NULL,
	PRIMARY KEY (kid),
	UNIQUE KEY signing_keys_generation (generation)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
