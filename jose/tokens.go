package jose

import (
	"encoding/json"
	"time"

	gojose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/miniauth/miniauth"
)

// loadedKey is a stored key opened for use.
type loadedKey struct {
	miniauth.SigningKey
	public gojose.JSONWebKey
	signer gojose.Signer
}

// keySet is one load of the keys; it is replaced whole, never changed.
type keySet struct {
	ordered []*loadedKey // by generation
	byID    map[string]*loadedKey
	jwks    []byte
	expired []string // ids of keys no live token can need: to delete
}

// build opens the stored keys and decides which are published: every key
// from the moment it is stored, until AccessTTL + PublishDelay after the
// next generation took over (a node that has not reloaded yet may sign
// with it up to a reload interval late; PublishDelay covers that).
func (k *Keys) build(stored []miniauth.SigningKey, now time.Time) (*keySet, error) {
	set := &keySet{byID: make(map[string]*loadedKey, len(stored))}
	var jwks gojose.JSONWebKeySet
	for i, sk := range stored {
		if i+1 < len(stored) {
			retired := stored[i+1].NotBefore
			if !now.Before(retired.Add(k.opts.AccessTTL + k.delay)) {
				set.expired = append(set.expired, sk.ID)
				continue
			}
		}
		lk, err := k.unsealKey(sk)
		if err != nil {
			return nil, err
		}
		set.ordered = append(set.ordered, lk)
		set.byID[sk.ID] = lk
		jwks.Keys = append(jwks.Keys, lk.public)
	}
	if len(set.ordered) == 0 {
		return nil, miniauth.Errorf(miniauth.EInternal, "no signing key")
	}
	var err error
	set.jwks, err = json.Marshal(jwks)
	return set, err
}

// signing is the key that signs at now: the newest whose NotBefore has
// come (the oldest published one if a clock runs behind the creator's).
func (s *keySet) signing(now time.Time) *loadedKey {
	key := s.ordered[0]
	for _, lk := range s.ordered[1:] {
		if !now.Before(lk.NotBefore) {
			key = lk
		}
	}
	return key
}

// JWKS is the JSON Web Key Set of every published key.
func (k *Keys) JWKS() []byte { return k.set.Load().jwks }

// SigningKeyID is the kid that signs at now.
func (k *Keys) SigningKeyID(now time.Time) string { return k.set.Load().signing(now).ID }

// claims are the contract's claims of an access token.
type claims struct {
	jwt.Claims
	SessionID string `json:"sid"`
	AppID     string `json:"appid"`
	OpenID    string `json:"openid"`
}

// SignAccessToken signs c with the key that signs now.
func (k *Keys) SignAccessToken(c miniauth.AccessClaims) (string, error) {
	key := k.set.Load().signing(k.opts.Now())
	return jwt.Signed(key.signer).Claims(claims{
		Claims: jwt.Claims{
			Issuer:   k.opts.Issuer,
			Subject:  c.UserID,
			ID:       c.ID,
			IssuedAt: jwt.NewNumericDate(c.IssuedAt),
			Expiry:   jwt.NewNumericDate(c.ExpiresAt),
		},
		SessionID: c.SessionID,
		AppID:     c.AppID,
		OpenID:    c.OpenID,
	}).Serialize()
}

var algorithms = []gojose.SignatureAlgorithm{gojose.EdDSA, gojose.ES256}

var errBadToken = miniauth.Errorf(miniauth.EUnauthorized, "malformed, forged or expired token")

// ParseAccessToken checks the token's signature against the published
// keys, its issuer and its expiry at now, and returns its claims.
func (k *Keys) ParseAccessToken(token string, now time.Time) (*miniauth.AccessClaims, error) {
	tok, err := jwt.ParseSigned(token, algorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, errBadToken
	}
	h := tok.Headers[0]
	key, ok := k.set.Load().byID[h.KeyID]
	if !ok || h.Algorithm != key.Algorithm {
		return nil, errBadToken
	}
	var c claims
	if err := tok.Claims(key.public.Key, &c); err != nil {
		return nil, errBadToken
	}
	if c.Issuer != k.opts.Issuer || c.Expiry == nil || c.IssuedAt == nil || !now.Before(c.Expiry.Time()) ||
		c.ID == "" || c.Subject == "" || c.SessionID == "" {
		return nil, errBadToken
	}
	return &miniauth.AccessClaims{
		ID:        c.ID,
		SessionID: c.SessionID,
		UserID:    c.Subject,
		AppID:     c.AppID,
		OpenID:    c.OpenID,
		IssuedAt:  c.IssuedAt.Time(),
		ExpiresAt: c.Expiry.Time(),
	}, nil
}
