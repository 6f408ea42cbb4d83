package miniauth

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNicknameRunes is the longest nickname, in Unicode characters (code
// points) after trimming.
const MaxNicknameRunes = 32

// NormalizeNickname trims s and checks it against the contract's rules:
// 1 to MaxNicknameRunes characters, valid UTF-8, no control characters (Cc)
// and no bidi overrides or isolates (U+202A–U+202E, U+2066–U+2069), which
// could make a name display as something else. Emoji and every other
// printable character are fine.
//
// Errors: EInvalidRequest, with a message that names the rule.
func NormalizeNickname(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", Errorf(EInvalidRequest, "nickname is not valid UTF-8")
	}
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "", Errorf(EInvalidRequest, "nickname is empty")
	case n > MaxNicknameRunes:
		return "", Errorf(EInvalidRequest, "nickname is longer than %d characters", MaxNicknameRunes)
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cc, r):
			return "", Errorf(EInvalidRequest, "nickname contains a control character (U+%04X)", r)
		case isBidiControl(r):
			return "", Errorf(EInvalidRequest, "nickname contains a bidi override (U+%04X)", r)
		}
	}
	return s, nil
}

// isBidiControl reports the embeddings, overrides (U+202A–U+202E) and
// isolates (U+2066–U+2069) that reorder the text around them.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}
