package miniauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// Token prefixes tell access and refresh tokens apart at a glance and let
// secret scanners find leaked ones.
const (
	accessTokenPrefix  = "mat_"
	refreshTokenPrefix = "mrt_"
	tokenTimeBytes     = 6  // when it was made, in milliseconds (as in NewID)
	tokenSecretBytes   = 32 // 256 random bits
	tokenLength        = 4 + 51
	// Tokens made before they began with the time: 256 random bits alone.
	// Still accepted; they are stored as their whole SHA-256.
	legacyTokenLength = 4 + 43
)

// newToken returns a prefix followed by, in base64url, the time and 256
// random bits. The time is no secret (the session records it anyway): it
// makes the stored forms of tokens made together sort together (HashToken),
// so that the stores append to their token indexes instead of writing a
// page at a random place of each for every login, which is what slowed
// first logins as the sessions grew into the millions.
func newToken(prefix string) string {
	var b [tokenTimeBytes + tokenSecretBytes]byte
	putMillis(b[:tokenTimeBytes])
	rand.Read(b[tokenTimeBytes:]) // never fails (crypto/rand since Go 1.24)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// NewTokenPair returns a new access token and refresh token, for what
// makes sessions outside the service (miniauth seed).
func NewTokenPair() (access, refresh string) {
	return newToken(accessTokenPrefix), newToken(refreshTokenPrefix)
}

// HashToken is how tokens are stored: for a token of ours, the time it was
// made (hex) followed by the first 208 bits of its SHA-256 (hex), 64
// characters in the order the tokens were made; for anything else (tokens
// from before the time, a jti, a ticket), its SHA-256 in hex. The secret
// bits are random, so a fast hash is enough and no salt is needed.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	if made, ok := tokenTime(token); ok {
		var out [64]byte
		hex.Encode(out[:2*tokenTimeBytes], made[:])
		hex.Encode(out[2*tokenTimeBytes:], sum[:32-tokenTimeBytes])
		return string(out[:])
	}
	return hex.EncodeToString(sum[:])
}

// tokenTime is the time a token of ours begins with.
func tokenTime(token string) (made [tokenTimeBytes]byte, ok bool) {
	if len(token) != tokenLength || token[3] != '_' {
		return made, false
	}
	// Six bytes are exactly the first eight base64 characters.
	if _, err := base64.RawURLEncoding.Decode(made[:], []byte(token[4:12])); err != nil {
		return made, false
	}
	return made, true
}

// wellFormed reports whether token looks like one of ours, so that garbage is
// turned away without a store lookup.
func wellFormed(token, prefix string) bool {
	return (len(token) == tokenLength || len(token) == legacyTokenLength) && strings.HasPrefix(token, prefix)
}

// NewID returns a 128-bit identifier in hex, for users and sessions: the
// time in milliseconds (48 bits) then 80 random bits. IDs are not secrets
// (tokens are); starting with the time makes them sort by creation and lets
// the stores append to their primary-key indexes instead of writing all over
// them, which keeps first logins fast as the tables grow.
func NewID() string {
	var b [16]byte
	putMillis(b[:6])
	rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}

// putMillis writes the time in milliseconds into b's 6 bytes, big-endian,
// so that later times sort after earlier ones.
func putMillis(b []byte) {
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
}
