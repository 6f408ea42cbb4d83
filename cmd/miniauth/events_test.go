package main

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

type loginsPage struct {
	Logins []struct {
		At        string `json:"at"`
		Kind      string `json:"kind"`
		UserID    string `json:"user_id"`
		AppID     string `json:"appid"`
		Platform  string `json:"platform"`
		Result    string `json:"result"`
		IP        string `json:"ip"`
		UserAgent string `json:"user_agent"`
	} `json:"logins"`
	NextBefore string `json:"next_before"`
}

func (n *testNode) logins(t *testing.T, userID, query string) loginsPage {
	t.Helper()
	r := call(t, "GET", n.URL+"/admin/v1/users/"+userID+"/logins"+query, adminToken, nil)
	if r.status != 200 {
		t.Fatalf("logins: %d %s", r.status, r.body)
	}
	var p loginsPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoginHistory(t *testing.T) {
	n := startTestNode(t, "MINIAUTH_ADMIN_TOKEN="+adminToken, "MINIAUTH_EVENTS_FLUSH_INTERVAL=5ms")
	a := n.login(t, "history-openid")
	r := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken})
	b := decodeLogin(t, r)
	if r := call(t, "POST", n.URL+"/api/v1/auth/logout", b.AccessToken, nil); r.status != 204 {
		t.Fatalf("logout: %d", r.status)
	}
	if r := call(t, "POST", n.URL+"/admin/v1/users/"+a.User.ID+"/disable", adminToken, nil); r.status != 200 {
		t.Fatalf("disable: %d", r.status)
	}
	code := mintCode(t, n.URL+"/_wxsim", "history-openid")
	if r := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}); r.errorCode(t) != "user_blocked" {
		t.Fatalf("login of a disabled user: %s", r.body)
	}

	var page loginsPage
	eventually(t, 5*time.Second, "four events in the history", func() bool {
		page = n.logins(t, a.User.ID, "")
		return len(page.Logins) == 4
	})
	want := [][2]string{{"login", "user_blocked"}, {"logout", "ok"}, {"refresh", "ok"}, {"login", "ok"}}
	for i, e := range page.Logins {
		if [2]string{e.Kind, e.Result} != want[i] || e.UserID != a.User.ID || e.AppID != "wxdevappid0000000" ||
			e.Platform != "weixin" || e.IP != "127.0.0.1" || e.UserAgent == "" {
			t.Errorf("event %d: %+v, want %v", i, e, want[i])
		}
	}
	if page.NextBefore != "" {
		t.Errorf("a short page has a next page: %q", page.NextBefore)
	}
	// Three a page; a page takes more when they share the last one's
	// millisecond (a login and its refresh can).
	first := n.logins(t, a.User.ID, "?limit=3")
	if len(first.Logins) < 3 || first.NextBefore != first.Logins[len(first.Logins)-1].At {
		t.Fatalf("first page: %+v", first)
	}
	rest := n.logins(t, a.User.ID, "?limit=3&before="+url.QueryEscape(first.NextBefore))
	if got := append(first.Logins, rest.Logins...); len(got) != 4 || got[3].Kind != "login" || got[3].Result != "ok" {
		t.Fatalf("the two pages: %+v and %+v", first, rest)
	}

	for query, want := range map[string]string{"?limit=0": "invalid_request", "?limit=201": "invalid_request",
		"?before=yesterday": "invalid_request"} {
		if r := call(t, "GET", n.URL+"/admin/v1/users/"+a.User.ID+"/logins"+query, adminToken, nil); r.errorCode(t) != want {
			t.Errorf("%s: %s, want %s", query, r.body, want)
		}
	}
	if r := call(t, "GET", n.URL+"/admin/v1/users/"+a.User.ID+"/logins", "", nil); r.status != 401 {
		t.Errorf("without the admin token: %d", r.status)
	}
	unknown := "0123456789abcdef0123456789abcdef"
	if r := call(t, "GET", n.URL+"/admin/v1/users/"+unknown+"/logins", adminToken, nil); r.status != 404 {
		t.Errorf("unknown user: %d %s", r.status, r.body)
	}
}

// Events still queued when the node stops are written before the database
// closes: with a flush interval of 10 s, only the shutdown writes this one.
func TestLoginEventsWrittenAtShutdown(t *testing.T) {
	dir := t.TempDir()
	env := []string{"MINIAUTH_DATA_DIR=" + dir, "MINIAUTH_ADMIN_TOKEN=" + adminToken, "MINIAUTH_EVENTS_FLUSH_INTERVAL=10s"}
	n := startTestNode(t, env...)
	a := n.login(t, "")
	n.stop(t)
	again := startTestNode(t, env...)
	if got := again.logins(t, a.User.ID, ""); len(got.Logins) != 1 || got.Logins[0].Result != "ok" {
		t.Fatalf("after a restart: %+v", got)
	}
}
