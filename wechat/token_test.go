package wechat_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

// TestOneFetchAcrossManagers: many goroutines on many Clients (nodes) share
// one store and ask for a token at once: WeChat sees exactly one fetch.
func TestOneFetchAcrossManagers(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{wechat.ModeStable, wechat.ModeClassic} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			store := wechat.NewMemoryTokenStore()
			e := newEnv(t, func(o *wechat.Options) { o.Tokens = store; o.TokenMode = mode })
			endpoint := "cgi-bin/stable_token"
			if mode == wechat.ModeClassic {
				endpoint = "cgi-bin/token"
			}
			// A slow answer keeps the race window wide open.
			e.fault(t, endpoint, wxsim.Fault{Delay: 100 * time.Millisecond})
			const managers, goroutines = 8, 50
			clients := []*wechat.Client{e.c}
			for range managers - 1 {
				clients = append(clients, e.newClient(t, wechat.Options{Apps: testApps, Tokens: store, TokenMode: mode}))
			}
			var wg sync.WaitGroup
			tokens := make(chan string, managers*goroutines)
			for _, c := range clients {
				for range goroutines {
					wg.Go(func() {
						tok, err := c.AccessToken(context.Background(), appID)
						if err != nil {
							t.Errorf("AccessToken: %v", err)
						}
						tokens <- tok
					})
				}
			}
			wg.Wait()
			close(tokens)
			seen := map[string]bool{}
			for tok := range tokens {
				seen[tok] = true
			}
			if len(seen) != 1 {
				t.Fatalf("%d distinct tokens handed out, want 1", len(seen))
			}
			if st := e.sim.Stats(); st.Calls[endpoint] != 1 || st.TokensIssued != 1 {
				t.Fatalf("%s calls = %d, tokens issued = %d; want 1 each", endpoint, st.Calls[endpoint], st.TokensIssued)
			}
		})
	}
}

// TestForcedRefreshAcrossManagers: every node gets 40001 for the same token;
// one forced refresh serves them all.
func TestForcedRefreshAcrossManagers(t *testing.T) {
	t.Parallel()
	store := wechat.NewMemoryTokenStore()
	e := newEnv(t, func(o *wechat.Options) { o.Tokens = store })
	clients := []*wechat.Client{e.c}
	for range 3 {
		clients = append(clients, e.newClient(t, wechat.Options{Apps: testApps, Tokens: store}))
	}
	ctx := context.Background()
	bad, err := clients[0].AccessToken(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		if _, err := c.AccessToken(ctx, appID); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			wg.Go(func() {
				tok, err := c.InvalidateAccessToken(ctx, appID, bad)
				if err != nil || tok == bad || tok == "" {
					t.Errorf("InvalidateAccessToken = %q, %v", tok, err)
				}
			})
		}
	}
	wg.Wait()
	if got := e.forced(); got != 1 {
		t.Fatalf("forced refreshes = %d, want 1", got)
	}
}

func TestRefreshAheadOfExpiry(t *testing.T) {
	t.Parallel()
	e, clock, t1 := newClockedEnv(t)
	ctx := context.Background()
	// Past the local TTL but far from expiry: the store's token is reused.
	clock.Advance(time.Hour)
	if tok, _ := e.c.AccessToken(ctx, appID); tok != t1 {
		t.Fatalf("token changed an hour in: %q", tok)
	}
	if got := e.calls("cgi-bin/stable_token"); got != 1 {
		t.Fatalf("stable_token calls = %d, want 1", got)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_access_token_age_seconds", map[string]string{"appid": appID}); got != 3600 {
		t.Fatalf("token age = %v, want 3600", got)
	}
	// 4 min 59 s before expiry: inside the 5 min window, a new token.
	clock.Advance(7200*time.Second - time.Hour - 299*time.Second)
	t2, err := e.c.AccessToken(ctx, appID)
	if err != nil || t2 == t1 {
		t.Fatalf("inside the refresh window: %q, %v; want a new token", t2, err)
	}
	if got := e.calls("cgi-bin/stable_token"); got != 2 {
		t.Fatalf("stable_token calls = %d, want 2", got)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_access_token_refreshes_total", map[string]string{"appid": appID, "kind": "regular"}); got != 2 {
		t.Fatalf("refreshes_total{regular} = %v, want 2", got)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_access_token_age_seconds", map[string]string{"appid": appID}); got != 0 {
		t.Fatalf("token age = %v, want 0", got)
	}
}

// TestRefreshAheadFailureKeepsOldToken: WeChat fails while the token is in
// its refresh window but still valid: the old one is used.
func TestRefreshAheadFailureKeepsOldToken(t *testing.T) {
	t.Parallel()
	e, clock, t1 := newClockedEnv(t)
	ctx := context.Background()
	clock.Advance(7200*time.Second - 100*time.Second)
	e.fault(t, "cgi-bin/stable_token", wxsim.Fault{ErrCode: -1})
	if tok, err := e.c.AccessToken(ctx, appID); err != nil || tok != t1 {
		t.Fatalf("AccessToken = %q, %v; want the old token", tok, err)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_access_token_errors_total", map[string]string{"appid": appID}); got != 1 {
		t.Fatalf("errors_total = %v, want 1", got)
	}
	// Within the retry interval the old token is used without asking again.
	clock.Advance(2 * time.Second)
	if tok, _ := e.c.AccessToken(ctx, appID); tok != t1 || e.calls("cgi-bin/stable_token") != 2 {
		t.Fatalf("retried within the interval: %q, %d calls", tok, e.calls("cgi-bin/stable_token"))
	}
	// After the retry interval the refresh is tried again and succeeds.
	clock.Advance(5 * time.Second)
	if tok, err := e.c.AccessToken(ctx, appID); err != nil || tok == t1 {
		t.Fatalf("AccessToken = %q, %v; want a new token", tok, err)
	}
	// Once expired, a failing fetch is an error.
	clock.Advance(3 * time.Hour)
	e.fault(t, "cgi-bin/stable_token", wxsim.Fault{ErrCode: -1})
	if _, err := e.c.AccessToken(ctx, appID); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("expired token and failing fetch: %v", err)
	}
}

func TestForceRefreshLimits(t *testing.T) {
	t.Parallel()
	e, clock, cur := newClockedEnv(t)
	ctx := context.Background()
	// A token the store no longer holds needs no refresh.
	if tok, err := e.c.InvalidateAccessToken(ctx, appID, "SOME-OLD-TOKEN"); err != nil || tok != cur {
		t.Fatalf("stale report: %q, %v", tok, err)
	}
	if got := e.forced(); got != 0 {
		t.Fatalf("forced = %d", got)
	}
	invalidate := func() error {
		tok, err := e.c.InvalidateAccessToken(ctx, appID, cur)
		if err == nil {
			if tok == cur {
				t.Fatal("the same token came back")
			}
			cur = tok
		}
		return err
	}
	if err := invalidate(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second)
	err := invalidate()
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable || miniauth.ErrorMessage(err) != "access token refresh limited" {
		t.Fatalf("second forced refresh 10 s later: %v", err)
	}
	for i := 2; i <= 20; i++ {
		clock.Advance(31 * time.Second)
		if err := invalidate(); err != nil {
			t.Fatalf("forced refresh %d: %v", i, err)
		}
	}
	clock.Advance(31 * time.Second)
	if err := invalidate(); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("21st forced refresh in a day: %v", err)
	}
	if got := e.forced(); got != 20 {
		t.Fatalf("forced refreshes at WeChat = %d, want 20", got)
	}
	clock.Advance(24 * time.Hour)
	if err := invalidate(); err != nil {
		t.Fatalf("a day later: %v", err)
	}
}

// TestFenceLost: our lock runs out while we fetch and a newer holder saves
// its token before we do: ours is not saved, and the newer one is used.
func TestFenceLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storeClock := newClock()
	mem := wechat.NewMemoryTokenStore()
	wechat.SetStoreClock(mem, storeClock.Now)
	other := miniauth.AccessToken{Value: "OTHER-NODE-TOKEN", ExpiresAt: time.Now().Add(time.Hour), FetchedAt: time.Now()}
	store := &hookStore{MemoryTokenStore: mem, beforeSave: func() {
		storeClock.Advance(time.Hour) // our lock expires
		fence, ok, err := mem.LockAccessToken(ctx, appID, time.Minute)
		if err != nil || !ok {
			t.Errorf("other node's lock: %v %v", ok, err)
			return
		}
		if err := mem.SaveAccessToken(ctx, appID, fence, other); err != nil {
			t.Errorf("other node's save: %v", err)
		}
	}}
	e := newEnv(t, func(o *wechat.Options) { o.Tokens = store })
	tok, err := e.c.AccessToken(ctx, appID)
	if err != nil || tok != other.Value {
		t.Fatalf("AccessToken = %q, %v; want the newer holder's token", tok, err)
	}
	if got, _ := mem.LoadAccessToken(ctx, appID); got.Value != other.Value {
		t.Fatalf("store holds %q", got.Value)
	}
	if got := e.calls("cgi-bin/stable_token"); got != 1 {
		t.Fatalf("stable_token calls = %d, want 1 (our fetch, not saved)", got)
	}
}

// TestLoserUsesOldTokenOrWaits: another node holds the lock.
func TestLoserUsesOldTokenOrWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const timeout = 300 * time.Millisecond

	t.Run("old token still valid", func(t *testing.T) {
		t.Parallel()
		store := wechat.NewMemoryTokenStore()
		old := miniauth.AccessToken{Value: "OLD", ExpiresAt: time.Now().Add(time.Minute), FetchedAt: time.Now().Add(-2 * time.Hour)}
		f, _, _ := store.LockAccessToken(ctx, appID, time.Hour)
		_ = store.SaveAccessToken(ctx, appID, f, old)
		if _, ok, _ := store.LockAccessToken(ctx, appID, time.Hour); !ok {
			t.Fatal("lock")
		}
		e := newEnv(t, func(o *wechat.Options) { o.Tokens = store; o.Timeout = timeout })
		if tok, err := e.c.AccessToken(ctx, appID); err != nil || tok != "OLD" {
			t.Fatalf("AccessToken = %q, %v", tok, err)
		}
		if got := e.calls("cgi-bin/stable_token"); got != 0 {
			t.Fatalf("fetched %d times while another node held the lock", got)
		}
	})
	t.Run("waits for the holder", func(t *testing.T) {
		t.Parallel()
		store := wechat.NewMemoryTokenStore()
		fence, _, _ := store.LockAccessToken(ctx, appID, time.Hour)
		e := newEnv(t, func(o *wechat.Options) { o.Tokens = store; o.Timeout = timeout })
		go func() {
			time.Sleep(timeout / 3)
			_ = store.SaveAccessToken(ctx, appID, fence, miniauth.AccessToken{Value: "NEW", ExpiresAt: time.Now().Add(time.Hour), FetchedAt: time.Now()})
		}()
		if tok, err := e.c.AccessToken(ctx, appID); err != nil || tok != "NEW" {
			t.Fatalf("AccessToken = %q, %v", tok, err)
		}
		if got := e.calls("cgi-bin/stable_token"); got != 0 {
			t.Fatalf("fetched %d times", got)
		}
	})
	t.Run("gives up after the timeout", func(t *testing.T) {
		t.Parallel()
		store := wechat.NewMemoryTokenStore()
		_, _, _ = store.LockAccessToken(ctx, appID, time.Hour)
		e := newEnv(t, func(o *wechat.Options) { o.Tokens = store; o.Timeout = timeout })
		start := time.Now()
		_, err := e.c.AccessToken(ctx, appID)
		elapsed := time.Since(start)
		if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
			t.Fatalf("got %v", err)
		}
		if elapsed < timeout || elapsed > timeout+time.Second {
			t.Fatalf("gave up after %v, want about %v", elapsed, timeout)
		}
	})
}
