package inmem

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/miniauth/miniauth"
)

// SigningKeys is a miniauth.SigningKeyStore in memory, for tests and
// one-node trials: keys made by one process are not known to another.
type SigningKeys struct {
	mu   sync.Mutex
	keys []miniauth.SigningKey // by generation
}

var _ miniauth.SigningKeyStore = (*SigningKeys)(nil)

// NewSigningKeys returns an empty signing key store.
func NewSigningKeys() *SigningKeys { return &SigningKeys{} }

// SigningKeys returns copies of every key, oldest generation first.
func (s *SigningKeys) SigningKeys(context.Context) ([]miniauth.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]miniauth.SigningKey, len(s.keys))
	for i, k := range s.keys {
		out[i] = copyKey(k)
	}
	return out, nil
}

// InsertSigningKey stores k unless a key of its generation exists.
func (s *SigningKeys) InsertSigningKey(_ context.Context, k miniauth.SigningKey) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, found := slices.BinarySearchFunc(s.keys, k.Generation, func(e miniauth.SigningKey, gen int64) int {
		return cmp.Compare(e.Generation, gen)
	})
	if found {
		return false, nil
	}
	k = copyKey(k)
	k.CreatedAt, k.NotBefore = storedTime(k.CreatedAt), storedTime(k.NotBefore)
	s.keys = slices.Insert(s.keys, i, k)
	return true, nil
}

// DeleteSigningKey deletes the key; an unknown id is not an error.
func (s *SigningKeys) DeleteSigningKey(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = slices.DeleteFunc(s.keys, func(k miniauth.SigningKey) bool { return k.ID == id })
	return nil
}

func copyKey(k miniauth.SigningKey) miniauth.SigningKey {
	k.PublicJWK, k.Sealed = bytes.Clone(k.PublicJWK), bytes.Clone(k.Sealed)
	return k
}
