package miniauth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "Mozilla/5.0", 512, "Mozilla/5.0"},
		{"0xff byte", "UA \xff", 512, "UA \uFFFD"},
		{"Latin-1", "caf\xe9", 512, "caf\uFFFD"},
		{"NUL dropped", "a\x00b", 512, "ab"},
		{"cut inside a character", strings.Repeat("a", 511) + "é", 512, strings.Repeat("a", 511)},
		{"cut inside a 4-byte character", "ab😀", 5, "ab"},
		{"cut on a boundary", "ab😀c", 6, "ab😀"},
		{"exactly the limit", "微信", 6, "微信"},
		{"repair then cut", "\xff\xff\xff", 4, "\uFFFD"},
		{"empty", "", 512, ""},
	}
	for _, tt := range tests {
		got := cleanText(tt.in, tt.max)
		if got != tt.want || !utf8.ValidString(got) || len(got) > tt.max {
			t.Errorf("%s: cleanText(%q, %d) = %q, want %q", tt.name, tt.in, tt.max, got, tt.want)
		}
	}
}

func TestValidID(t *testing.T) {
	if id := NewID(); !ValidID(id) {
		t.Errorf("NewID %q is not a ValidID", id)
	}
	for _, id := range []string{
		"", "\x00", "\xff", "\xc3", "nope",
		strings.Repeat("A", 32),       // upper case: not what NewID writes
		strings.Repeat("0", 31),       // short
		strings.Repeat("0", 33),       // long
		strings.Repeat("0", 31) + "g", // not hex
		strings.Repeat("0", 31) + "\x00",
	} {
		if ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
	}
}
