package jose_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/miniauth/miniauth/jose"
)

type signedToken struct {
	token, kid string
	at, exp    time.Time
}

type jwksSnapshot struct {
	at   time.Time
	kids []string
}

func kidsOf(t *testing.T, jwks []byte) []string {
	var set struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// Three nodes over one database, a fake clock running through four
// rotation periods a minute at a time; each node reloads every minute, in
// turn, and signs a token every minute.
func TestRotationAcrossThreeNodes(t *testing.T) {
	ctx := context.Background()
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := openStore(t)
	opts := testOptions(st, c) // rotation 1h, reload 1m, JWKS max-age 5m, access TTL 2h
	maxAge := opts.JWKSMaxAge
	nodes := []*jose.Keys{openKeys(t, opts), openKeys(t, opts), openKeys(t, opts)}

	var tokens []signedToken
	var snapshots []jwksSnapshot
	seenKids := map[string]bool{}
	for minute := 0; minute < 4*60; minute++ {
		for i := range nodes {
			n := nodes[(minute+i)%len(nodes)]
			if err := n.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
			token, claims := sign(t, n, c)
			kid := n.SigningKeyID(c.Now())
			tokens = append(tokens, signedToken{token, kid, c.Now(), claims.ExpiresAt})
			seenKids[kid] = true
			snapshots = append(snapshots, jwksSnapshot{c.Now(), kidsOf(t, n.JWKS())})
		}
		// Every live token verifies on every node and independently: all
		// of them every 30 minutes, and every minute those about to expire
		// (whose keys are the next to go).
		for _, tok := range tokens {
			left := tok.exp.Sub(c.Now())
			if left <= 0 || (minute%30 != 0 && left > 2*time.Minute) {
				continue
			}
			for i, n := range nodes {
				if _, err := n.ParseAccessToken(tok.token, c.Now()); err != nil {
					t.Fatalf("minute %d: node %d refuses a live token of kid %s signed at %v: %v", minute, i, tok.kid, tok.at, err)
				}
			}
			if _, err := independentCheck(t, nodes[0].JWKS(), tok.token, c.Now()); err != nil {
				t.Fatalf("minute %d: the JWKS misses a live token's key: %v", minute, err)
			}
		}
		c.Add(time.Minute)
	}
	if len(seenKids) < 4 {
		t.Errorf("%d signing keys over four rotation periods; want at least 4", len(seenKids))
	}
	// A JWKS cached up to max-age before a token was signed knew its key.
	for _, tok := range tokens {
		for _, s := range snapshots {
			if !s.at.After(tok.at) && tok.at.Sub(s.at) <= maxAge && !slices.Contains(s.kids, tok.kid) {
				t.Fatalf("a JWKS fetched at %v, cacheable until %v, lacks kid %s used at %v", s.at, s.at.Add(maxAge), tok.kid, tok.at)
			}
		}
	}
	keys, err := st.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if i > 0 && k.Generation != keys[i-1].Generation+1 {
			t.Errorf("generations %d then %d", keys[i-1].Generation, k.Generation)
		}
	}
	// Live: the signing key, the next one, and those retired less than
	// access TTL + publication delay ago (2h7m at 1h a key): at most 5.
	if len(keys) < 3 || len(keys) > 5 {
		t.Errorf("%d keys stored after 4h; retired keys must be deleted once no token needs them", len(keys))
	}
}

func TestRotationMustOutlastThePublicationDelay(t *testing.T) {
	c := &clock{now: time.Now()}
	opts := testOptions(openStore(t), c)
	opts.Rotation = opts.PublishDelay()
	if _, err := jose.Open(context.Background(), opts); err == nil {
		t.Error("a rotation no longer than the publication delay must be refused")
	}
	opts.Rotation++
	if _, err := jose.Open(context.Background(), opts); err != nil {
		t.Errorf("a rotation just longer than the delay: %v", err)
	}
}
