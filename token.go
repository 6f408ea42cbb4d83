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
	tokenRandomBytes   = 32 // 256 bits
	tokenLength        = 4 + 43
)

// newToken returns a prefix followed by 256 random bits, base64url.
func newToken(prefix string) string {
	var b [tokenRandomBytes]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken is how tokens are stored: SHA-256 in hex. Tokens carry 256 random
// bits, so a fast hash is enough; no salt is needed.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormed reports whether token looks like one of ours, so that garbage is
// turned away without a store lookup.
func wellFormed(token, prefix string) bool {
	return len(token) == tokenLength && strings.HasPrefix(token, prefix)
}

// NewID returns a 128-bit identifier in hex, for users and sessions: the
// time in milliseconds (48 bits) then 80 random bits. IDs are not secrets
// (tokens are); starting with the time makes them sort by creation and lets
// the stores append to their primary-key indexes instead of writing all over
// them, which keeps first logins fast as the tables grow.
func NewID() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}
