package sqlstore

import (
	"context"
	"encoding/base64"

	"github.com/miniauth/miniauth"
)

var _ miniauth.SigningKeyStore = (*Store)(nil)

const (
	qSigningKeys = `SELECT kid, generation, algorithm, public_jwk, sealed_private, created_at, not_before
		FROM signing_keys ORDER BY generation`
	qInsertSigningKey = `INSERT INTO signing_keys (kid, generation, algorithm, public_jwk, sealed_private, created_at, not_before)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	qDeleteSigningKey = `DELETE FROM signing_keys WHERE kid = ?`
)

// SigningKeys returns every stored signing key, oldest generation first.
// It reads from the write pool: a node that just lost the race to add a
// key must see the winner's at once.
func (s *Store) SigningKeys(ctx context.Context) ([]miniauth.SigningKey, error) {
	rows, err := s.w.QueryContext(ctx, s.d.rebind(qSigningKeys))
	if err != nil {
		return nil, s.wrap("signing keys", err)
	}
	defer rows.Close()
	var keys []miniauth.SigningKey
	for rows.Next() {
		var k miniauth.SigningKey
		var jwk, sealed string
		err := rows.Scan(&k.ID, &k.Generation, &k.Algorithm, &jwk, &sealed, msTime{&k.CreatedAt}, msTime{&k.NotBefore})
		if err != nil {
			return nil, s.wrap("signing keys", err)
		}
		k.PublicJWK = []byte(jwk)
		if k.Sealed, err = base64.StdEncoding.DecodeString(sealed); err != nil {
			return nil, s.wrap("signing keys", err)
		}
		keys = append(keys, k)
	}
	return keys, s.wrap("signing keys", rows.Err())
}

// InsertSigningKey stores k unless its generation (or id) is taken: the
// unique index is the lock between nodes rotating at once.
func (s *Store) InsertSigningKey(ctx context.Context, k miniauth.SigningKey) (bool, error) {
	_, err := s.w.ExecContext(ctx, s.d.rebind(qInsertSigningKey), k.ID, k.Generation, k.Algorithm, string(k.PublicJWK),
		base64.StdEncoding.EncodeToString(k.Sealed), s.t(k.CreatedAt), s.t(k.NotBefore))
	if err != nil && s.d.class(err) == ClassUnique {
		return false, nil
	}
	if err != nil {
		return false, s.wrap("insert signing key", err)
	}
	return true, nil
}

// DeleteSigningKey deletes the key with this id.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind(qDeleteSigningKey), id)
	return s.wrap("delete signing key", err)
}
