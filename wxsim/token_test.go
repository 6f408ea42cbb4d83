package wxsim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/wxsim"
)

func wantToken(t *testing.T, m map[string]any, expiresIn float64) string {
	t.Helper()
	tok, _ := m["access_token"].(string)
	if errcode(m) != 0 || len(tok) < 130 || len(tok) > 512 {
		t.Fatalf("answer %v: want a token of 130 to 512 characters", m)
	}
	if m["expires_in"] != expiresIn {
		t.Fatalf("expires_in %v, want %v", m["expires_in"], expiresIn)
	}
	return tok
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		query   url.Values
		errcode int
	}{
		{"wrong grant_type", url.Values{"grant_type": {"authorization_code"}, "appid": {appA}, "secret": {secretA}}, 40002},
		{"missing grant_type", url.Values{"appid": {appA}, "secret": {secretA}}, 40002},
		{"unknown appid", url.Values{"grant_type": {"client_credential"}, "appid": {"wxnope"}, "secret": {secretA}}, 40013},
		{"missing appid", url.Values{"grant_type": {"client_credential"}, "secret": {secretA}}, 41002},
		{"wrong secret", url.Values{"grant_type": {"client_credential"}, "appid": {appA}, "secret": {secretB}}, 40125},
		{"missing secret", url.Values{"grant_type": {"client_credential"}, "appid": {appA}}, 41004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.wechat(http.MethodGet, "cgi-bin/token", tt.query, ""), tt.errcode)
		})
	}
	if st := e.sim.Stats(); st.TokensIssued != 0 {
		t.Fatalf("tokens_issued %d after failures only", st.TokensIssued)
	}
	if status, _ := e.do(http.MethodPost, "cgi-bin/token", nil, "{}"); status != http.StatusMethodNotAllowed {
		t.Fatalf("POST cgi-bin/token: status %d, want 405", status)
	}
}

// Each cgi-bin/token call issues a new token; the previous one works five
// more minutes, then answers 40001; a token past 7200 s answers 42001.
func TestTokenOverlap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	t1 := wantToken(t, e.plainToken(appA, secretA), 7200)
	e.clk.Advance(time.Minute)
	t2 := wantToken(t, e.plainToken(appA, secretA), 7200)
	if t1 == t2 {
		t.Fatal("cgi-bin/token returned the same token twice")
	}
	tB := wantToken(t, e.plainToken(appB, secretB), 7200) // another app does not supersede A's

	e.clk.Advance(wxsim.TokenOverlap - time.Second)
	for name, tok := range map[string]string{"old": t1, "new": t2, "app B": tB} {
		if code := e.tokenErr(tok); code != 0 {
			t.Fatalf("%s token at 4m59s: errcode %d", name, code)
		}
	}
	e.clk.Advance(time.Second)
	if code := e.tokenErr(t1); code != 40001 {
		t.Fatalf("old token after 5 minutes: errcode %d, want 40001", code)
	}
	if code := e.tokenErr(t2); code != 0 {
		t.Fatalf("new token: errcode %d", code)
	}

	// t2 was issued 5 minutes ago (by the simulator's clock).
	e.clk.Advance(wxsim.TokenLifetime - wxsim.TokenOverlap - time.Second)
	if code := e.tokenErr(t2); code != 0 {
		t.Fatalf("token 1s before expiry: errcode %d", code)
	}
	e.clk.Advance(time.Second)
	if code := e.tokenErr(t2); code != 42001 {
		t.Fatalf("expired token: errcode %d, want 42001", code)
	}

	// A superseded token that has also passed its expiry still answers 40001.
	if code := e.tokenErr(t1); code != 40001 {
		t.Fatalf("superseded token: errcode %d, want 40001", code)
	}

	// Long after expiry, a sweep (run by an issuing call) forgets the token.
	e.clk.Advance(2 * time.Hour)
	e.plainToken(appA, secretA)
	if code := e.tokenErr(t2); code != 40001 {
		t.Fatalf("forgotten token: errcode %d, want 40001", code)
	}
	if st := e.sim.Stats(); st.TokensIssued != 4 {
		t.Fatalf("tokens_issued %d, want 4", st.TokensIssued)
	}
}

func TestStableTokenSameAndRenewal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s1 := wantToken(t, e.stableToken(appA, secretA, false), 7200)

	e.clk.Advance(100 * time.Second)
	if got := wantToken(t, e.stableToken(appA, secretA, false), 7100); got != s1 {
		t.Fatal("stable_token changed while valid")
	}

	// cgi-bin/token is independent: it does not knock the stable token out.
	plain := wantToken(t, e.plainToken(appA, secretA), 7200)
	if plain == s1 {
		t.Fatal("cgi-bin/token returned the stable token")
	}
	e.clk.Advance(wxsim.TokenOverlap + time.Second)
	if code := e.tokenErr(s1); code != 0 {
		t.Fatalf("stable token after a cgi-bin/token call: errcode %d", code)
	}

	// Another app has its own stable token.
	if sB := wantToken(t, e.stableToken(appB, secretB, false), 7200); sB == s1 {
		t.Fatal("two apps share a stable token")
	}

	// Exactly 300 s left: still the same token, expires_in 300.
	e.clk.Advance(wxsim.TokenLifetime - 100*time.Second - wxsim.TokenOverlap - time.Second - 300*time.Second)
	if got := wantToken(t, e.stableToken(appA, secretA, false), 300); got != s1 {
		t.Fatal("stable_token renewed with 300 s left")
	}
	// 299 s left: a new token; both work until the old one expires.
	e.clk.Advance(time.Second)
	s2 := wantToken(t, e.stableToken(appA, secretA, false), 7200)
	if s2 == s1 {
		t.Fatal("stable_token not renewed with 299 s left")
	}
	if got := wantToken(t, e.stableToken(appA, secretA, false), 7200); got != s2 {
		t.Fatal("renewed stable token not kept")
	}
	e.clk.Advance(298 * time.Second)
	if e.tokenErr(s1) != 0 || e.tokenErr(s2) != 0 {
		t.Fatal("both stable tokens should work in the overlap")
	}
	e.clk.Advance(time.Second)
	if code := e.tokenErr(s1); code != 42001 {
		t.Fatalf("old stable token at expiry: errcode %d, want 42001", code)
	}
	if code := e.tokenErr(s2); code != 0 {
		t.Fatalf("new stable token: errcode %d", code)
	}
	// s1, s2 (A), plain (A), sB (B).
	if st := e.sim.Stats(); st.TokensIssued != 4 {
		t.Fatalf("tokens_issued %d, want 4", st.TokensIssued)
	}
}

func TestStableTokenForceRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s1 := wantToken(t, e.stableToken(appA, secretA, false), 7200)

	s2 := wantToken(t, e.stableToken(appA, secretA, true), 7200)
	if s2 == s1 {
		t.Fatal("force_refresh returned the same token")
	}
	if code := e.tokenErr(s1); code != 40001 {
		t.Fatalf("token replaced by force_refresh: errcode %d, want 40001", code)
	}
	if got := wantToken(t, e.stableToken(appA, secretA, false), 7200); got != s2 {
		t.Fatal("stable_token after force_refresh is not the forced one")
	}

	// Under 30 s since the last forced refresh: 45011, token unchanged.
	e.clk.Advance(wxsim.ForceRefreshGap - time.Second)
	wantErr(t, e.stableToken(appA, secretA, true), 45011)
	if code := e.tokenErr(s2); code != 0 {
		t.Fatalf("refused force_refresh invalidated the token: errcode %d", code)
	}
	// The limit is per app.
	wantToken(t, e.stableToken(appB, secretB, true), 7200)

	// 20 forced refreshes in 24 hours; the first was at 0.
	e.clk.Advance(time.Second)
	for i := 2; i <= wxsim.ForceRefreshPerDay; i++ {
		wantToken(t, e.stableToken(appA, secretA, true), 7200)
		e.clk.Advance(wxsim.ForceRefreshGap)
	}
	wantErr(t, e.stableToken(appA, secretA, true), 45009)
	// Plain calls still work past the daily limit.
	last := wantToken(t, e.stableToken(appA, secretA, false), 7200-30)

	// 24 hours after the first forced refresh, one slot frees up.
	e.clk.Advance(24*time.Hour - 20*wxsim.ForceRefreshGap - time.Second)
	wantErr(t, e.stableToken(appA, secretA, true), 45009)
	e.clk.Advance(time.Second)
	if got := wantToken(t, e.stableToken(appA, secretA, true), 7200); got == last {
		t.Fatal("force_refresh after a day returned the old token")
	}
	// The daily limit is checked before the gap: the second slot frees up
	// only 24 hours after the second forced refresh.
	wantErr(t, e.stableToken(appA, secretA, true), 45009)
	// 21 forced refreshes of A and one of B went through; refusals do not count.
	if got := e.sim.Stats().ForcedRefreshes; got != 22 {
		t.Fatalf("forced_refreshes %d, want 22", got)
	}
}

// Invalidated tokens answer 40001 at once, the app's only; the next call
// gets a new token that works.
func TestInvalidateAccessTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := wantToken(t, e.stableToken(appA, secretA, false), 7200), wantToken(t, e.stableToken(appB, secretB, false), 7200)
	e.sim.InvalidateAccessTokens(appA)
	if code := e.tokenErr(a); code != 40001 {
		t.Errorf("an invalidated token: errcode %d, want 40001", code)
	}
	if code := e.tokenErr(b); code != 0 {
		t.Errorf("another app's token: errcode %d, want 0", code)
	}
	next := wantToken(t, e.stableToken(appA, secretA, false), 7200)
	if next == a || e.tokenErr(next) != 0 {
		t.Errorf("the token after the invalidation: %q (errcode %d), want a new one that works", next, e.tokenErr(next))
	}
}

func TestStableTokenErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		body    string
		errcode int
	}{
		{"not JSON", `grant_type=client_credential`, 47001},
		{"empty body", ``, 47001},
		{"force_refresh not a bool", `{"grant_type":"client_credential","appid":"` + appA + `","secret":"` + secretA + `","force_refresh":"yes"}`, 47001},
		{"too large", `{"grant_type":"` + strings.Repeat("x", 70<<10) + `"}`, 47001},
		{"wrong grant_type", `{"grant_type":"password","appid":"` + appA + `","secret":"` + secretA + `"}`, 40002},
		{"unknown appid", `{"grant_type":"client_credential","appid":"wxnope","secret":"` + secretA + `"}`, 40013},
		{"missing appid", `{"grant_type":"client_credential","secret":"` + secretA + `"}`, 41002},
		{"wrong secret", `{"grant_type":"client_credential","appid":"` + appA + `","secret":"` + secretB + `"}`, 40125},
		{"missing secret", `{"grant_type":"client_credential","appid":"` + appA + `"}`, 41004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.wechat(http.MethodPost, "cgi-bin/stable_token", nil, tt.body), tt.errcode)
		})
	}
	if status, _ := e.do(http.MethodGet, "cgi-bin/stable_token", nil, ""); status != http.StatusMethodNotAllowed {
		t.Fatalf("GET stable_token: status %d, want 405", status)
	}
	if st := e.sim.Stats(); st.TokensIssued != 0 {
		t.Fatalf("tokens_issued %d after failures only", st.TokensIssued)
	}
}
