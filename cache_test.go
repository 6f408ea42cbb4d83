package miniauth

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestLRUEvictsTheLeastRecentlyUsed(t *testing.T) {
	var removed []string
	l := newLRU(3, func(key string, _ int) { removed = append(removed, key) })
	now := time.Now()
	later := now.Add(time.Minute)
	l.put("a", 1, later)
	l.put("b", 2, later)
	l.put("c", 3, later)
	if _, ok := l.get("a", now); !ok {
		t.Fatal("a is missing")
	}
	l.put("d", 4, later) // b is the least recently used now
	if _, ok := l.get("b", now); ok || !slices.Equal(removed, []string{"b"}) {
		t.Errorf("b should have made room; removed %v", removed)
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := l.get(k, now); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
	if _, ok := l.get("a", later); ok || len(l.items) != 2 {
		t.Errorf("an entry past its deadline is gone; %d left", len(l.items))
	}
	l.sweep(later)
	if len(l.items) != 0 {
		t.Errorf("sweep left %d entries past their deadline", len(l.items))
	}
}

// A full verify cache makes room for a new session by evicting the least
// recently used one, and keeps answering the others from memory.
func TestVerifyCacheEvictsWhenFull(t *testing.T) {
	f := newFixture(t)
	f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"wxapp"}, Now: f.clock.Now, CacheEntries: 2})
	ctx := context.Background()
	t1, t2, t3 := f.login(t, "o1").AccessToken, f.login(t, "o2").AccessToken, f.login(t, "o3").AccessToken
	verify := func(token string, wantLookups int) {
		t.Helper()
		if _, err := f.svc.Verify(ctx, token); err != nil {
			t.Fatal(err)
		}
		if f.sessions.lookups != wantLookups {
			t.Errorf("store lookups = %d, want %d", f.sessions.lookups, wantLookups)
		}
	}
	verify(t1, 1)
	verify(t2, 2)
	verify(t1, 2) // t2 is now the least recently used
	verify(t3, 3) // evicts t2
	verify(t1, 3)
	verify(t3, 3)
	verify(t2, 4)
	session, _ := f.svc.Verify(ctx, t1)
	if err := f.svc.Logout(ctx, LogoutRequest{Session: session}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, t1); ErrorCode(err) != EUnauthorized {
		t.Errorf("after logout: %v", err)
	}
}

// A session read from the store while a drop ran is not cached: it may be
// the very session that was ended.
func TestSessionCacheRefusesAPutOlderThanADrop(t *testing.T) {
	c := newSessionCache(time.Second, 10)
	now := time.Now()
	s := &Session{ID: "s1", AccessExpiresAt: now.Add(time.Hour)}
	gen := c.generation()
	c.drop("s1")
	c.put("token", s, now, gen)
	if _, ok := c.get("token", now); ok {
		t.Error("a put that raced a drop was kept")
	}
	c.put("token", s, now, c.generation())
	if _, ok := c.get("token", now); !ok {
		t.Error("a put after the drop was not kept")
	}
}

// fakeEvents records what the service publishes.
type fakeEvents struct {
	mu        sync.Mutex
	published []string
}

func (e *fakeEvents) PublishSessionChanged(_ context.Context, ids ...string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.published = append(e.published, ids...)
	return nil
}

func (e *fakeEvents) SubscribeSessionChanged(ctx context.Context, _ func(string), _ func()) {
	<-ctx.Done()
}

func TestMeIsCachedAndEveryChangeDropsIt(t *testing.T) {
	f := newFixture(t)
	events := &fakeEvents{}
	f.svc = NewService(f.users, f.sessions, events, f.wx, Options{CacheTTL: DefaultCacheTTL, ProfileTTL: DefaultProfileTTL,
		RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"wxapp"}, Now: f.clock.Now})
	ctx := context.Background()
	res := f.login(t, "o1")
	session, err := f.svc.Verify(ctx, res.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	me := func(wantLookups int) *User {
		t.Helper()
		u, err := f.svc.Me(ctx, session)
		if err != nil {
			t.Fatal(err)
		}
		if f.users.lookups != wantLookups {
			t.Errorf("user lookups = %d, want %d", f.users.lookups, wantLookups)
		}
		return u
	}
	base := f.users.lookups // the login's own
	me(base + 1)
	me(base + 1)
	// Events carry every change: the account is trusted for ProfileTTL,
	// not just CacheTTL.
	f.clock.Add(DefaultProfileTTL - time.Millisecond)
	me(base + 1)
	f.clock.Add(time.Millisecond)
	me(base + 2)

	// A change through any use case drops the user here and tells the
	// other nodes.
	if _, err := f.svc.SetUserDisabled(ctx, res.User.ID, true); err != nil {
		t.Fatal(err)
	}
	if u := me(base + 3); !u.Disabled {
		t.Error("Me answered the user as it was before the change")
	}
	if !slices.Contains(events.published, userEventPrefix+res.User.ID) {
		t.Errorf("the change was not published: %v", events.published)
	}

	// Another node's change arrives as an event.
	me(base + 3)
	f.svc.changed(userEventPrefix + res.User.ID)
	me(base + 4)
}

// Without events another node's change reaches this one only through the
// store: the account is trusted for CacheTTL at most, whatever ProfileTTL
// says; and a ProfileTTL of 0 turns the cache of accounts off.
func TestMeWithoutEventsTrustsAnAccountForCacheTTL(t *testing.T) {
	for _, tc := range []struct {
		name       string
		profileTTL time.Duration
		cachedFor  time.Duration
	}{
		{"capped by cache_ttl", DefaultProfileTTL, DefaultCacheTTL},
		{"shorter profile_ttl", DefaultCacheTTL / 4, DefaultCacheTTL / 4},
		{"off", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, ProfileTTL: tc.profileTTL,
				RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"wxapp"}, Now: f.clock.Now})
			ctx := context.Background()
			session, err := f.svc.Verify(ctx, f.login(t, "o1").AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Me(ctx, session); err != nil {
				t.Fatal(err)
			}
			base := f.users.lookups
			if tc.cachedFor > 0 {
				f.clock.Add(tc.cachedFor - time.Millisecond)
				if _, err := f.svc.Me(ctx, session); err != nil || f.users.lookups != base {
					t.Fatalf("within the TTL: %v, %d lookups", err, f.users.lookups-base)
				}
				f.clock.Add(time.Millisecond)
			}
			if _, err := f.svc.Me(ctx, session); err != nil || f.users.lookups != base+1 {
				t.Fatalf("at the TTL: %v, %d lookups, want 1", err, f.users.lookups-base)
			}
		})
	}
}

// completeEvents are events that no change escapes (as SQLite's watch of
// its file): the verify cache may then trust a session as long as an
// account, but never past the touch interval.
type completeEvents struct{ fakeEvents }

func (*completeEvents) SeesEveryChange() {}

func TestVerifyTrustsASessionLongerOnlyWithCompleteEvents(t *testing.T) {
	for _, tc := range []struct {
		name      string
		events    SessionEvents
		cacheTTL  time.Duration
		touch     time.Duration
		cachedFor time.Duration
	}{
		{"no events", nil, DefaultCacheTTL, 0, DefaultCacheTTL},
		{"events that may miss a change", &fakeEvents{}, DefaultCacheTTL, 0, DefaultCacheTTL},
		{"complete events", &completeEvents{}, DefaultCacheTTL, 0, DefaultProfileTTL},
		{"complete events, touched sooner", &completeEvents{}, DefaultCacheTTL, 3 * time.Second, 3 * time.Second},
		{"complete events, cache off", &completeEvents{}, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.svc = NewService(f.users, f.sessions, tc.events, f.wx, Options{CacheTTL: tc.cacheTTL, ProfileTTL: DefaultProfileTTL,
				TouchInterval: tc.touch, RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"wxapp"}, Now: f.clock.Now})
			ctx := context.Background()
			token := f.login(t, "o1").AccessToken
			verify := func(wantLookups int) {
				t.Helper()
				if _, err := f.svc.Verify(ctx, token); err != nil {
					t.Fatal(err)
				}
				if f.sessions.lookups != wantLookups {
					t.Fatalf("%d store lookups, want %d", f.sessions.lookups, wantLookups)
				}
			}
			base := f.sessions.lookups
			verify(base + 1)
			if tc.cachedFor > 0 {
				f.clock.Add(tc.cachedFor - time.Millisecond)
				verify(base + 1)
				f.clock.Add(time.Millisecond)
			}
			verify(base + 2)
		})
	}
}
