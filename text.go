package miniauth

import (
	"strings"
	"unicode/utf8"
)

// Text from outside (headers, bodies, paths) is checked here, once, before
// it reaches any store: PostgreSQL and MySQL refuse invalid UTF-8 and NUL
// bytes with an error, which would otherwise surface as a 500 after the
// WeChat code was already spent.

// Limits of the device hints stored with a session, in bytes.
const (
	maxUserAgentBytes = 512
	maxIPBytes        = 64
)

// cleanText returns s as text that every store accepts: invalid UTF-8
// replaced by U+FFFD, NUL bytes dropped, and cut to at most maxBytes on a
// character boundary.
func cleanText(s string, maxBytes int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if len(s) <= maxBytes {
		return s
	}
	cut := maxBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// idLength is the length of NewID's ids: 128 bits in lowercase hex.
const idLength = 32

// ValidID reports whether id has the form NewID gives every user and session
// id. Anything else cannot name one of ours, so callers answer ENotFound
// without asking a store (and without passing it bytes the store refuses).
func ValidID(id string) bool {
	if len(id) != idLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
