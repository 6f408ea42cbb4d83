package main

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testserver"
)

// 64 concurrent logins of one user with an admin disable in the middle:
// once the disable has answered, and within the contract's 1 s, no session
// of the user works, whichever logins won the race.
func TestDisableRacingLogins(t *testing.T) {
	for _, b := range []struct {
		name string
		env  func(t *testing.T) []string
	}{
		{"sqlite", func(t *testing.T) []string { return nil }},
		{"postgres+redis", func(t *testing.T) []string {
			return []string{"MINIAUTH_DB_URL=" + testserver.Postgres(t), "MINIAUTH_REDIS_URL=" + testserver.Redis(t)}
		}},
	} {
		t.Run(b.name, func(t *testing.T) {
			n := startTestNode(t, append(b.env(t), "MINIAUTH_ADMIN_TOKEN="+adminToken, "MINIAUTH_LOG_LEVEL=warn")...)
			var before, after, blocked, working int
			for round := range 20 {
				b, a, k, w := disableRace(t, n, round)
				before, after, blocked, working = before+b, after+a, blocked+k, working+w
			}
			t.Logf("%s, 20 rounds: %d logins answered 200 before the disable answered, %d after it, %d user_blocked; %d sessions still working 1 s after the disable",
				b.name, before, after, blocked, working)
			if working != 0 {
				t.Errorf("%d sessions of disabled users still work", working)
			}
		})
	}
}

// disableRace runs one round and returns the logins that succeeded before
// and after the disable answered, those refused as blocked, and the
// sessions that still work afterwards.
func disableRace(t *testing.T, n *testNode, round int) (before, after, blocked, working int) {
	openid := "race-" + t.Name() + "-" + string(rune('a'+round))
	first := n.login(t, openid)
	const logins = 64
	codes := make([]string, logins)
	for i := range codes {
		codes[i] = mintCode(t, n.URL+"/_wxsim", openid)
	}
	var disabled atomic.Bool
	tokens := make([]string, logins)
	answeredAfter := make([]bool, logins)
	var blockedN atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range logins {
		wg.Go(func() {
			<-start
			r := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": codes[i]})
			switch r.status {
			case 200:
				tokens[i] = decodeLogin(t, r).AccessToken
				answeredAfter[i] = disabled.Load()
			case 403:
				blockedN.Add(1)
			default:
				t.Errorf("login: %d %s", r.status, r.body)
			}
		})
	}
	close(start)
	time.Sleep(time.Duration(round%5) * time.Millisecond) // the disable lands at various points
	if r := call(t, "POST", n.URL+"/admin/v1/users/"+first.User.ID+"/disable", adminToken, nil); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	disabledAt := time.Now()
	disabled.Store(true)
	wg.Wait()
	time.Sleep(time.Until(disabledAt.Add(time.Second)))
	for i, tok := range append(tokens, first.AccessToken) {
		if tok == "" {
			continue
		}
		if i < logins {
			if answeredAfter[i] {
				after++
			} else {
				before++
			}
		}
		if call(t, "GET", n.URL+"/api/v1/auth/verify", tok, nil).status != 401 {
			working++
		}
	}
	return before, after, int(blockedN.Load()), working
}

// 50 refreshes with one refresh token at once, as a client racing itself
// would send: exactly one wins, the others are refused without ending the
// session, and the winner's new tokens keep working.
func TestConcurrentRefreshesOfOneToken(t *testing.T) {
	for _, b := range []struct {
		name string
		env  func(t *testing.T) []string
	}{
		{"sqlite", func(t *testing.T) []string { return nil }},
		{"redis", func(t *testing.T) []string { return []string{"MINIAUTH_REDIS_URL=" + testserver.Redis(t)} }},
	} {
		t.Run(b.name, func(t *testing.T) {
			n := startTestNode(t, b.env(t)...)
			a := n.login(t, "")
			const refreshes = 50
			answers := make([]response, refreshes)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range answers {
				wg.Go(func() {
					<-start
					answers[i] = call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken})
				})
			}
			close(start)
			wg.Wait()
			var winner *loginAnswer
			for _, r := range answers {
				switch r.status {
				case 200:
					if winner != nil {
						t.Fatal("two refreshes of one token succeeded")
					}
					w := decodeLogin(t, r)
					winner = &w
				case 401:
					if code := r.errorCode(t); code != "unauthorized" {
						t.Errorf("a losing refresh: %s", r.body)
					}
				default:
					t.Errorf("a refresh answered %d %s", r.status, r.body)
				}
			}
			if winner == nil {
				t.Fatal("no refresh succeeded")
			}
			if r := call(t, "GET", n.URL+"/api/v1/me", winner.AccessToken, nil); r.status != 200 {
				t.Errorf("the winner's access token: %d %s", r.status, r.body)
			}
			next := decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": winner.RefreshToken}))
			if r := call(t, "GET", n.URL+"/api/v1/auth/verify", next.AccessToken, nil); r.status != 200 {
				t.Errorf("the winner's refreshed access token: %d %s", r.status, r.body)
			}
		})
	}
}
