package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// NewSigningKey returns a key of generation gen with made-up key material.
func NewSigningKey(gen int64, at time.Time) miniauth.SigningKey {
	return miniauth.SigningKey{
		ID:         miniauth.NewID(),
		Generation: gen,
		Algorithm:  "EdDSA",
		PublicJWK:  []byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`),
		Sealed:     []byte{0, 1, 2, 0xff, 'x'},
		CreatedAt:  at.UTC().Truncate(time.Millisecond),
		NotBefore:  at.Add(time.Hour).UTC().Truncate(time.Millisecond),
	}
}

// TestSigningKeyStore is the contract of miniauth.SigningKeyStore; open
// returns a fresh, empty store.
func TestSigningKeyStore(t *testing.T, open func(t *testing.T) miniauth.SigningKeyStore) {
	ctx := context.Background()
	now := time.Now()

	t.Run("round trip in generation order", func(t *testing.T) {
		st := open(t)
		if keys, err := st.SigningKeys(ctx); err != nil || len(keys) != 0 {
			t.Fatalf("empty store: %v, %v", keys, err)
		}
		second, first := NewSigningKey(2, now), NewSigningKey(1, now)
		for _, k := range []miniauth.SigningKey{second, first} {
			if ok, err := st.InsertSigningKey(ctx, k); !ok || err != nil {
				t.Fatalf("insert: %v, %v", ok, err)
			}
		}
		keys, err := st.SigningKeys(ctx)
		if err != nil || len(keys) != 2 {
			t.Fatalf("keys: %v, %v", keys, err)
		}
		for i, want := range []miniauth.SigningKey{first, second} {
			got := keys[i]
			if got.ID != want.ID || got.Generation != want.Generation || got.Algorithm != want.Algorithm ||
				!bytes.Equal(got.PublicJWK, want.PublicJWK) || !bytes.Equal(got.Sealed, want.Sealed) ||
				!got.CreatedAt.Equal(want.CreatedAt) || !got.NotBefore.Equal(want.NotBefore) {
				t.Errorf("key %d: got %+v, want %+v", i, got, want)
			}
		}
		if err := st.DeleteSigningKey(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteSigningKey(ctx, "unknown"); err != nil {
			t.Errorf("deleting an unknown key: %v", err)
		}
		if keys, _ := st.SigningKeys(ctx); len(keys) != 1 || keys[0].ID != second.ID {
			t.Errorf("after delete: %+v", keys)
		}
	})

	t.Run("one of concurrent inserts of a generation wins", func(t *testing.T) {
		st := open(t)
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := st.InsertSigningKey(ctx, NewSigningKey(1, now))
				if err != nil {
					t.Errorf("insert: %v", err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if keys, _ := st.SigningKeys(ctx); wins != 1 || len(keys) != 1 {
			t.Errorf("%d inserts won, %d keys stored; want 1 and 1", wins, len(keys))
		}
	})
}
