package wxsim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	mrand "math/rand/v2"
	"strconv"
	"time"
)

// Alphabets of the values WeChat hands out. Login codes are 32 letters and
// digits; openids are "o" followed by 27 base64url characters; access tokens
// are a small number, an underscore and a long base64url-ish tail.
const (
	alnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	urlSafe64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

	loginCodeLen   = 32
	openIDLen      = 28
	tokenTailLen   = 136
	tokenPrefix    = "86_"
	phoneCodeBytes = 32 // 64 hex characters, like real getPhoneNumber codes
)

// randomString returns n characters of alphabet (at most 64 long). Codes,
// openids, session keys and tokens stand in for secrets, so they come from
// crypto/rand. The modulo bias for a 62-letter alphabet is irrelevant here.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails since Go 1.24
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func newLoginCode() string { return randomString(alnum, loginCodeLen) }

func newOpenID() string { return "o" + randomString(urlSafe64, openIDLen-1) }

// newSessionKey is base64 of 16 random bytes, as WeChat's session_key.
func newSessionKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func newPhoneCode() string {
	var b [phoneCodeBytes]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newAccessToken looks like a real one ("86_" and ~136 characters), well
// under WeChat's documented 512-character ceiling.
func newAccessToken() string { return tokenPrefix + randomString(urlSafe64, tokenTailLen) }

// newRID is the request id WeChat appends to every errmsg
// ("rid: 6540c4b6-1e7d6a2f-6c3e3a31"). It is not a secret, so math/rand will do.
func newRID(now time.Time) string {
	b := make([]byte, 0, 26)
	b = appendHex8(b, uint32(now.Unix()))
	b = append(b, '-')
	b = appendHex8(b, mrand.Uint32())
	b = append(b, '-')
	b = appendHex8(b, mrand.Uint32())
	return string(b)
}

func appendHex8(b []byte, v uint32) []byte {
	s := strconv.FormatUint(uint64(v), 16)
	for i := len(s); i < 8; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
