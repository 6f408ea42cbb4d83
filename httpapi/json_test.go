package httpapi

import (
	"encoding/json"
	"testing"
)

// appendJSONString must write exactly what encoding/json writes.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", "oAbc-_123", `quote " and \ backslash`, "tab\tnew\nline\r",
		"\x00\x01\x1f", "<script>&amp;", "中文用户", "emoji 😀", "sep\u2028\u2029",
		"bad \xff utf8", "\xc3",
	} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("oAbc\"\\\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}
