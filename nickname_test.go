package miniauth

import (
	"strings"
	"testing"
)

func TestNormalizeNickname(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "Alice", "Alice", true},
		{"trimmed", "  小明 \t\n", "小明", true},
		{"one character", "a", "a", true},
		{"32 characters", strings.Repeat("字", 32), strings.Repeat("字", 32), true},
		{"33 characters", strings.Repeat("字", 33), "", false},
		{"32 after trimming", "  " + strings.Repeat("a", 32) + "  ", strings.Repeat("a", 32), true},
		{"emoji", "🐱猫咪😀", "🐱猫咪😀", true},
		// 👩‍👧 is 3 code points (woman, zero-width joiner, girl).
		{"emoji sequences count by code point", strings.Repeat("👩‍👧", 10) + "ab", strings.Repeat("👩‍👧", 10) + "ab", true},
		{"emoji sequences past 32 code points", strings.Repeat("👩‍👧", 11), "", false},
		{"inner spaces kept", "a  b", "a  b", true},
		{"empty", "", "", false},
		{"whitespace only", " \t\u3000\n ", "", false},
		{"control character", "a\x07b", "", false},
		{"newline inside", "a\nb", "", false},
		{"DEL", "a\x7fb", "", false},
		{"C1 control", "a\u0085b", "", false},
		{"RLO override", "abc\u202Egpj.exe", "", false},
		{"LRE embedding", "\u202Aabc", "", false},
		{"PDF", "abc\u202C", "", false},
		{"isolate FSI", "a\u2068b", "", false},
		{"isolate PDI", "a\u2069b", "", false},
		{"RLM mark is not an override", "a\u200Fb", "a\u200Fb", true},
		{"zero-width joiner", "a\u200Db", "a\u200Db", true},
		{"invalid UTF-8", "a\xffb", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeNickname(tt.in)
			if tt.ok {
				if err != nil || got != tt.want {
					t.Fatalf("NormalizeNickname(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if ErrorCode(err) != EInvalidRequest {
				t.Fatalf("NormalizeNickname(%q) = %q, %v; want invalid_request", tt.in, got, err)
			}
		})
	}
}
