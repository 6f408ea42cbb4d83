package httpapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
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

// The /me body written by hand must be what encoding/json writes of the
// contract's user object, whatever the account holds.
func TestMeBodyIsEncodingJSONs(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.FixedZone("CST", 8*3600))
	for _, u := range []*miniauth.User{
		{ID: "u1", CreatedAt: at},
		{ID: "u2", OpenID: "oAbc", UnionID: "un", Nickname: `小明 "<&>" \ 😀` + "\u2028\xff", AvatarURL: "https://cdn.example/a.png",
			Phone: "+8613800000000", CreatedAt: at,
			Identities: []miniauth.Identity{
				{Platform: "weixin", AppID: "wx1", OpenID: "oAbc", UnionID: "un"},
				{Platform: "qq", AppID: "1101", OpenID: "Q\tq", UnionID: ""},
			}},
		{ID: "u3", AvatarURL: "/avatars/u3.png", CreatedAt: at, Identities: []miniauth.Identity{}},
	} {
		view := userJSONOf(u)
		view.AvatarURL = "http://host" + u.AvatarURL
		want, err := json.Marshal(view)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendUserJSON(nil, u, view.AvatarURL); string(got) != string(want) {
			t.Errorf("user %s:\ngot  %s\nwant %s", u.ID, got, want)
		}
	}
}
