package main

import (
	"testing"
	"time"
)

// tokens.touch_interval reaches the service: with 1s, a request 1.5 s after
// the login moves the session's last use, which the default minute would
// leave alone.
func TestTouchIntervalIsConfigurable(t *testing.T) {
	n := startTestNode(t, "MINIAUTH_TOKENS_TOUCH_INTERVAL=1s", "MINIAUTH_TOKENS_CACHE_TTL=0s")
	a := n.login(t, "")
	lastUsed := func() time.Time {
		r := call(t, "GET", n.URL+"/api/v1/me/sessions", a.AccessToken, nil)
		if r.status != 200 {
			t.Fatalf("sessions: %d %s", r.status, r.body)
		}
		at, err := time.Parse(time.RFC3339, r.json(t)["sessions"].([]any)[0].(map[string]any)["last_used_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	first := lastUsed()
	time.Sleep(1500 * time.Millisecond)
	eventually(t, 5*time.Second, "the last use moves", func() bool { return lastUsed().After(first) })
}
