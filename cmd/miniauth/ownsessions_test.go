package main

import (
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// A user's own sessions, as the contract's "A user's own sessions" says.
func testOwnSessions(t *testing.T, d *accountsDeployment) {
	openid := "own-sessions-" + miniauth.NewID()[:8]
	agents := []string{"phone one", "phone two \xff", "phone three"} // the second repaired at login
	var logins []loginAnswer
	for _, ua := range agents {
		logins = append(logins, d.login(t, app1, openid, "", http.Header{"User-Agent": {ua}}))
		time.Sleep(5 * time.Millisecond) // distinct creation times: newest first is checkable
	}
	logins = append(logins, d.login(t, app2, openid, "", nil)) // another app: another account
	current := logins[2]
	for _, a := range logins {
		d.worksOnEveryNode(t, a.AccessToken)
	}

	r := call(t, "GET", d.nodes[1].URL+"/api/v1/me/sessions", current.AccessToken, nil)
	if r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	list := r.json(t)["sessions"].([]any)
	if len(list) != 3 {
		t.Fatalf("%d sessions listed, want the user's 3: %s", len(list), r.body)
	}
	wantKeys := []string{"appid", "created_at", "current", "expires_at", "id", "ip", "last_used_at", "user_agent"}
	wantAgents := []string{"phone three", "phone two \uFFFD", "phone one"}
	var ids []string
	for i, item := range list {
		s := item.(map[string]any)
		var keys []string
		for k := range s {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, wantKeys) {
			t.Fatalf("session fields %v, want exactly %v", keys, wantKeys)
		}
		if s["user_agent"] != wantAgents[i] || s["ip"] != "127.0.0.1" || s["appid"] != app1 {
			t.Errorf("session %d: %v", i, s)
		}
		if s["current"] != (i == 0) {
			t.Errorf("session %d: current %v", i, s["current"])
		}
		for _, k := range []string{"created_at", "last_used_at", "expires_at"} {
			if _, err := time.Parse(time.RFC3339, s[k].(string)); err != nil {
				t.Errorf("%s: %v", k, err)
			}
		}
		ids = append(ids, s["id"].(string))
	}
	for _, secret := range []string{current.AccessToken, current.RefreshToken, miniauth.HashToken(current.AccessToken), miniauth.HashToken(current.RefreshToken)} {
		if strings.Contains(string(r.body), secret) {
			t.Fatal("the list shows a token or its hash")
		}
	}
	if h := call(t, "HEAD", d.nodes[0].URL+"/api/v1/me/sessions", current.AccessToken, nil); h.status != 200 || len(h.body) != 0 {
		t.Errorf("HEAD: %d %q", h.status, h.body)
	}

	// Another user's session, an unknown id, a malformed one: 404, nothing ends.
	other := call(t, "GET", d.nodes[0].URL+"/api/v1/me/sessions", logins[3].AccessToken, nil).json(t)["sessions"].([]any)[0].(map[string]any)["id"].(string)
	for _, id := range []string{other, miniauth.NewID(), "not-an-id"} {
		r := call(t, "DELETE", d.nodes[0].URL+"/api/v1/me/sessions/"+id, current.AccessToken, nil)
		if r.status != 404 || r.errorCode(t) != "not_found" {
			t.Errorf("DELETE /me/sessions/%s: %d %s", id, r.status, r.body)
		}
	}
	d.worksOnEveryNode(t, logins[3].AccessToken)

	// End one: ids[2] is the oldest, logins[0].
	if r := call(t, "DELETE", d.nodes[0].URL+"/api/v1/me/sessions/"+ids[2], current.AccessToken, nil); r.status != 204 {
		t.Fatalf("end one: %d %s", r.status, r.body)
	}
	d.refusedOnEveryNode(t, logins[0].AccessToken, "ending one session")
	if r := call(t, "POST", d.nodes[1].URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": logins[0].RefreshToken}); r.status != 401 {
		t.Errorf("refresh of the ended session: %d", r.status)
	}
	d.worksOnEveryNode(t, logins[1].AccessToken)

	// End all others.
	if r := call(t, "DELETE", d.nodes[1].URL+"/api/v1/me/sessions", current.AccessToken, nil); r.status != 204 {
		t.Fatalf("end others: %d %s", r.status, r.body)
	}
	d.refusedOnEveryNode(t, logins[1].AccessToken, "ending every other session")
	d.worksOnEveryNode(t, current.AccessToken)
	d.worksOnEveryNode(t, logins[3].AccessToken) // another user's
	left := call(t, "GET", d.nodes[0].URL+"/api/v1/me/sessions", current.AccessToken, nil).json(t)["sessions"].([]any)
	if len(left) != 1 || left[0].(map[string]any)["current"] != true {
		t.Errorf("after ending the others: %v", left)
	}

	// Ending the current session is a logout.
	if r := call(t, "DELETE", d.nodes[0].URL+"/api/v1/me/sessions/"+ids[0], current.AccessToken, nil); r.status != 204 {
		t.Fatalf("end the current one: %d %s", r.status, r.body)
	}
	d.refusedOnEveryNode(t, current.AccessToken, "ending the current session")
	if r := call(t, "GET", d.nodes[0].URL+"/api/v1/me/sessions", "", nil); r.status != 401 {
		t.Errorf("list without a token: %d", r.status)
	}
}
