package miniauth

import (
	"context"
	"strings"
	"time"
)

// AccessClaims are what a signed access token (a JWT) says about its
// session. ID is the token's jti: the session is bound to it (see
// jtiHash), so that a refresh can bind the new token before it knows which
// session it rotates, and sign it afterwards.
type AccessClaims struct {
	ID        string // jti: 256 random bits
	SessionID string
	UserID    string
	AppID     string
	OpenID    string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// AccessTokenSigner mints and checks signed access tokens. The jose package
// implements it over keys kept in a SigningKeyStore. Without one, access
// tokens are opaque.
type AccessTokenSigner interface {
	// SignAccessToken returns the compact JWS of c, signed with the current
	// signing key.
	SignAccessToken(c AccessClaims) (string, error)

	// ParseAccessToken checks the token's signature against the known keys,
	// its issuer, and its expiry at now, and returns its claims.
	//
	// Errors: EUnauthorized.
	ParseAccessToken(token string, now time.Time) (*AccessClaims, error)
}

// SigningKey is one key that signs access tokens, as the database keeps it.
// Keys form generations: generation n+1 is published (in the JWKS) from
// CreatedAt and signs from NotBefore on; generation n stops signing then.
type SigningKey struct {
	ID         string // the JWS "kid"
	Generation int64
	Algorithm  string // "EdDSA" or "ES256"
	PublicJWK  []byte // the public key as a JWK (JSON)
	Sealed     []byte // the private key, encrypted: a database dump alone cannot sign
	CreatedAt  time.Time
	NotBefore  time.Time
}

// SigningKeyStore keeps the signing keys every node shares. The SQL stores
// implement it.
type SigningKeyStore interface {
	// SigningKeys returns every stored key, by generation, oldest first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)

	// InsertSigningKey stores k unless a key of the same generation exists:
	// then it stores nothing and answers false. This is the lock that lets
	// exactly one of several nodes rotating at once add the next key.
	InsertSigningKey(ctx context.Context, k SigningKey) (bool, error)

	// DeleteSigningKey deletes the key with this id; an unknown id is no
	// error.
	DeleteSigningKey(ctx context.Context, id string) error
}

// maxSignedTokenLength bounds what is parsed as a JWT; ours are about 400
// bytes.
const maxSignedTokenLength = 2048

// looksSigned is the cheap format check of a JWT before any parsing: a
// compact JWS is three base64url parts, and its JSON header starts "eyJ".
func looksSigned(token string) bool {
	return len(token) <= maxSignedTokenLength && strings.HasPrefix(token, "eyJ") && strings.Count(token, ".") == 2
}

// jtiHash is what a session stores as the access hash of a signed token.
// The prefix keeps it apart from the hash of any opaque token, so that a
// jti (which is not secret: anyone holding the JWT reads it) is never
// accepted as a bearer token by itself. A jti begins with its time, as
// opaque tokens do, and "jti_" makes HashToken keep it in that order; a jti
// from before that (256 bits alone, shorter) keeps the hash it was stored
// under.
func jtiHash(jti string) string {
	if len(jti) == tokenLength-len(accessTokenPrefix) {
		return HashToken("jti_" + jti)
	}
	return HashToken("jti:" + jti)
}

// signAccess turns the pending access token of t into a signed one for
// session, when tokens are signed, or seals the session's claims after the
// opaque one, when this node seals.
func (s *Service) signAccess(t *Tokens, session *Session) error {
	c := session.claims(t.jti, t.issuedAt, t.AccessExpiresAt)
	if s.opts.Signer == nil {
		if s.sealer != nil {
			t.AccessToken = s.sealer.seal(t.AccessToken, c)
		}
		return nil
	}
	token, err := s.opts.Signer.SignAccessToken(c)
	if err != nil {
		return WrapError(EInternal, "cannot sign the access token", err)
	}
	t.AccessToken = token
	return nil
}

// claims are what an access token of the session, with this jti, issue
// and expiry, says: signed in a JWT, or sealed after an opaque token.
func (x *Session) claims(jti string, issuedAt, expiresAt time.Time) AccessClaims {
	return AccessClaims{ID: jti, SessionID: x.ID, UserID: x.UserID, AppID: x.AppID, OpenID: x.OpenID,
		IssuedAt: issuedAt, ExpiresAt: expiresAt}
}

// The claims cache (Service.claims) remembers the claims of signed tokens
// whose signature was checked, until they expire: a token's signature stays
// good, so when its verify-cache entry lapses (every CacheTTL) only the
// session is asked again, not the signature (an Ed25519 check costs more
// than the rest of a verify). Revocation still goes through the session.
// When full, the least recently used token makes room.
func newClaimsCache(max int) *lru[*AccessClaims] { return newLRU[*AccessClaims](max, nil) }

// parseSigned checks a signed token, once per token.
func (s *Service) parseSigned(token string, now time.Time) (*AccessClaims, error) {
	s.claimsMu.Lock()
	claims, ok := s.claims.get(token, now)
	s.claimsMu.Unlock()
	if ok {
		return claims, nil
	}
	claims, err := s.opts.Signer.ParseAccessToken(token, now)
	if err != nil {
		return nil, err
	}
	s.claimsMu.Lock()
	s.claims.put(token, claims, claims.ExpiresAt)
	s.claimsMu.Unlock()
	return claims, nil
}
