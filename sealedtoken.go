package miniauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// A sealed access token is an opaque one followed by a dot and its
// session's claims (session, user, app, openid, issue and expiry), sealed
// with AES-256-GCM under a key every node derives from the key encryption
// key. A node then verifies it without asking the store: the seal proves
// the claims, and the endings feed (endings.go) says whether the session
// ended. Without the key, or when the feed is stale, the opaque part alone
// is verified through the store, as before.
//
// The nonce is 96 of the opaque part's random bits, the additional data
// the whole opaque part: every token has its own nonce, and claims cannot
// be moved onto another token.

// sealedFormat is the first byte of the sealed claims.
const sealedFormat = 1

// sealedKeyInfo separates this key from anything else derived from the key
// encryption key.
const sealedKeyInfo = "miniauth sealed access token claims v1"

// maxSealedField bounds each claim's length; a longer one (never one of
// ours) makes an opaque token instead.
const maxSealedField = 0x7f

// TokenSealer seals and opens the claims of access tokens.
type TokenSealer struct{ aead cipher.AEAD }

// newTokenSealer derives the sealing key from kek (32 bytes); nil kek: no
// sealer, tokens stay opaque.
func NewTokenSealer(kek []byte) (*TokenSealer, error) {
	if kek == nil {
		return nil, nil
	}
	if len(kek) != 32 {
		return nil, errors.New("the key encryption key must be 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, kek, nil, sealedKeyInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &TokenSealer{aead: aead}, nil
}

// nonce is the opaque token's bytes after its time: random.
func sealNonce(opaque string) ([]byte, bool) {
	if len(opaque) != tokenLength {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(opaque[4:])
	if err != nil {
		return nil, false
	}
	return raw[tokenTimeBytes : tokenTimeBytes+12], true
}

// seal returns opaque with c sealed after it (all but c.ID: the opaque
// part is the token's identity), or opaque alone when c does not fit.
func (t *TokenSealer) seal(opaque string, c AccessClaims) string {
	nonce, ok := sealNonce(opaque)
	if !ok {
		return opaque
	}
	plain := make([]byte, 0, 96)
	plain = append(plain, sealedFormat)
	plain = binary.BigEndian.AppendUint64(plain, uint64(c.IssuedAt.UnixMilli()))
	plain = binary.BigEndian.AppendUint64(plain, uint64(c.ExpiresAt.UnixMilli()))
	for _, f := range []string{c.SessionID, c.UserID, c.AppID, c.OpenID} {
		if plain, ok = appendField(plain, f); !ok {
			return opaque
		}
	}
	sealed := t.aead.Seal(plain[:0:0], nonce, plain, []byte(opaque))
	return opaque + "." + base64.RawURLEncoding.EncodeToString(sealed)
}

// splitSealed returns the opaque part of a token that looks sealed.
func splitSealed(token string) (opaque string, ok bool) {
	if len(token) <= tokenLength+1 || token[tokenLength] != '.' || !strings.HasPrefix(token, accessTokenPrefix) {
		return "", false
	}
	return token[:tokenLength], true
}

// open returns the claims of a sealed token; ok is false when the token is
// not sealed with this key (another key, or altered).
func (t *TokenSealer) open(token string) (c AccessClaims, ok bool) {
	opaque, ok := splitSealed(token)
	if !ok {
		return c, false
	}
	nonce, ok := sealNonce(opaque)
	if !ok {
		return c, false
	}
	var buf [256]byte
	sealed, err := base64.RawURLEncoding.AppendDecode(buf[:0], []byte(token[tokenLength+1:]))
	if err != nil {
		return c, false
	}
	plain, err := t.aead.Open(sealed[:0], nonce, sealed, []byte(opaque))
	if err != nil || len(plain) < 17 || plain[0] != sealedFormat {
		return c, false
	}
	c.IssuedAt = time.UnixMilli(int64(binary.BigEndian.Uint64(plain[1:9]))).UTC()
	c.ExpiresAt = time.UnixMilli(int64(binary.BigEndian.Uint64(plain[9:17]))).UTC()
	rest := plain[17:]
	for _, f := range []*string{&c.SessionID, &c.UserID, &c.AppID, &c.OpenID} {
		if *f, rest, ok = readField(rest); !ok {
			return AccessClaims{}, false
		}
	}
	return c, len(rest) == 0
}

// A field is a length byte then the text; with the high bit set, the
// length counts bytes that are the text's lowercase hex (our ids), half
// the size.
const hexField = 0x80

func appendField(b []byte, f string) ([]byte, bool) {
	if n := len(f); n > 0 && n%2 == 0 && n/2 <= maxSealedField && isLowerHex(f) {
		out, err := hex.AppendDecode(append(b, hexField|byte(n/2)), []byte(f))
		return out, err == nil
	}
	if len(f) > maxSealedField {
		return b, false
	}
	b = append(b, byte(len(f)))
	return append(b, f...), true
}

func readField(b []byte) (string, []byte, bool) {
	if len(b) == 0 {
		return "", nil, false
	}
	n, isHex := int(b[0]&^hexField), b[0]&hexField != 0
	b = b[1:]
	if len(b) < n {
		return "", nil, false
	}
	if isHex {
		return hex.EncodeToString(b[:n]), b[n:], true
	}
	return string(b[:n]), b[n:], true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
