package wechat_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

// failingStore fails every call while fail is set.
type failingStore struct {
	miniauth.AccessTokenStore
	fail atomic.Bool
}

var errStoreDown = errors.New("store down")

func (s *failingStore) LoadAccessToken(ctx context.Context, appID string) (miniauth.AccessToken, error) {
	if s.fail.Load() {
		return miniauth.AccessToken{}, errStoreDown
	}
	return s.AccessTokenStore.LoadAccessToken(ctx, appID)
}

func TestStoreDownUsesLocalCopy(t *testing.T) {
	t.Parallel()
	clock := newClock()
	store := &failingStore{AccessTokenStore: wechat.NewMemoryTokenStore()}
	e := newEnv(t, func(o *wechat.Options) { o.Tokens = store; o.Now = clock.Now })
	ctx := context.Background()
	t1, err := e.c.AccessToken(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	store.fail.Store(true)
	clock.Advance(time.Minute)
	if tok, err := e.c.AccessToken(ctx, appID); err != nil || tok != t1 {
		t.Fatalf("store down, valid local copy: %q, %v", tok, err)
	}
	clock.Advance(3 * time.Hour)
	_, err = e.c.AccessToken(ctx, appID)
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable || !errors.Is(err, errStoreDown) {
		t.Fatalf("store down, no valid token: %v", err)
	}
}

// TestCallerGivesUp: a caller whose context ends stops waiting, without
// failing the refresh for the others.
func TestCallerGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fault(t, "cgi-bin/stable_token", wxsim.Fault{Delay: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := e.c.AccessToken(ctx, appID); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("caller gave up: %v", err)
	}
	if tok, err := e.c.AccessToken(context.Background(), appID); err != nil || tok == "" {
		t.Fatalf("next caller: %q, %v", tok, err)
	}
	if got := e.calls("cgi-bin/stable_token"); got != 1 {
		t.Fatalf("stable_token calls = %d, want 1", got)
	}
}

func TestSharedRegistry(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(o *wechat.Options) { o.Registerer = reg })
	c := e.newClient(t, wechat.Options{Apps: testApps, Registerer: reg, Logger: slog.Default()})
	for _, c := range []*wechat.Client{e.c, c} {
		if _, err := c.Code2Session(context.Background(), appID, e.loginCode(t, "o")); err != nil {
			t.Fatal(err)
		}
	}
	if got := metricValue(t, reg, "miniauth_wechat_calls_total", map[string]string{"endpoint": "sns/jscode2session", "errcode": "0"}); got != 2 {
		t.Fatalf("calls_total = %v, want 2", got)
	}
}

// hookStore lets a test act as another node would: once between a
// manager's load and its lock, once between its fetch and its save.
type hookStore struct {
	*wechat.MemoryTokenStore
	beforeLock, beforeSave func()
	lockOnce, saveOnce     sync.Once
}

func (s *hookStore) LockAccessToken(ctx context.Context, appID string, ttl time.Duration) (int64, bool, error) {
	if s.beforeLock != nil {
		s.lockOnce.Do(s.beforeLock)
	}
	return s.MemoryTokenStore.LockAccessToken(ctx, appID, ttl)
}

func (s *hookStore) SaveAccessToken(ctx context.Context, appID string, fence int64, tok miniauth.AccessToken) error {
	if s.beforeSave != nil {
		s.saveOnce.Do(s.beforeSave)
	}
	return s.MemoryTokenStore.SaveAccessToken(ctx, appID, fence, tok)
}

// TestWinnerRechecksStore: another node saves a token between our load and
// our lock; we take the lock and must use that token rather than fetch.
func TestWinnerRechecksStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := wechat.NewMemoryTokenStore()
	other := miniauth.AccessToken{Value: "OTHER-NODE-TOKEN", ExpiresAt: time.Now().Add(time.Hour), FetchedAt: time.Now()}
	store := &hookStore{MemoryTokenStore: mem, beforeLock: func() {
		fence, _, _ := mem.LockAccessToken(ctx, appID, time.Minute)
		if err := mem.SaveAccessToken(ctx, appID, fence, other); err != nil {
			t.Errorf("other node's save: %v", err)
		}
	}}
	e := newEnv(t, func(o *wechat.Options) { o.Tokens = store })
	if tok, err := e.c.AccessToken(ctx, appID); err != nil || tok != other.Value {
		t.Fatalf("AccessToken = %q, %v", tok, err)
	}
	if got := e.calls("cgi-bin/stable_token"); got != 0 {
		t.Fatalf("stable_token calls = %d, want 0", got)
	}
	if _, ok, _ := mem.LockAccessToken(ctx, appID, time.Minute); !ok {
		t.Fatal("the winner did not release the lock")
	}
}
