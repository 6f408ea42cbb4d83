package redis_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/storetest"
)

func TestAccessTokenLoadSave(t *testing.T) {
	redis.ForEachDeployment(t, func(t *testing.T, redisURL string) {
		ctx := context.Background()
		st := open(t, redisURL).AccessTokens()
		tok, err := st.LoadAccessToken(ctx, "wxapp")
		must(t, err)
		if tok != (miniauth.AccessToken{}) {
			t.Fatalf("no token yet, got %+v", tok)
		}

		now := time.Now().Truncate(time.Millisecond)
		f, ok, err := st.LockAccessToken(ctx, "wxapp", time.Minute)
		must(t, err)
		if !ok || f <= 0 {
			t.Fatalf("LockAccessToken = %d, %v", f, ok)
		}
		if _, ok, _ := st.LockAccessToken(ctx, "wxapp", time.Minute); ok {
			t.Fatal("a held lock was taken again")
		}
		if _, ok, _ := st.LockAccessToken(ctx, "otherapp", time.Minute); !ok {
			t.Fatal("another app's lock is independent")
		}
		want := miniauth.AccessToken{Value: "AT-1", ExpiresAt: now.Add(2 * time.Hour), FetchedAt: now}
		must(t, st.SaveAccessToken(ctx, "wxapp", f, want))
		got, err := st.LoadAccessToken(ctx, "wxapp")
		must(t, err)
		if got.Value != want.Value || !got.ExpiresAt.Equal(want.ExpiresAt) || !got.FetchedAt.Equal(want.FetchedAt) {
			t.Errorf("LoadAccessToken = %+v, want %+v", got, want)
		}
		// Saving released the lock.
		f2, ok, err := st.LockAccessToken(ctx, "wxapp", time.Minute)
		must(t, err)
		if !ok || f2 <= f {
			t.Fatalf("after save: LockAccessToken = %d, %v; want a fence above %d", f2, ok, f)
		}
		// Unlock with a stale fence does nothing; with the holder's releases.
		must(t, st.UnlockAccessToken(ctx, "wxapp", f))
		if _, ok, _ := st.LockAccessToken(ctx, "wxapp", time.Minute); ok {
			t.Fatal("an old fence released the current holder's lock")
		}
		must(t, st.UnlockAccessToken(ctx, "wxapp", f2))
		if _, ok, _ := st.LockAccessToken(ctx, "wxapp", time.Minute); !ok {
			t.Fatal("the lock was not released")
		}
	})
}

// Holder A's lock expires, B takes it; A's late save must not overwrite B's
// newer token.
func TestAccessTokenFencing(t *testing.T) {
	redis.ForEachDeployment(t, func(t *testing.T, redisURL string) {
		ctx := context.Background()
		st := open(t, redisURL).AccessTokens()
		now := time.Now()

		fa, ok, err := st.LockAccessToken(ctx, "wxapp", 50*time.Millisecond)
		must(t, err)
		if !ok {
			t.Fatal("A did not get the lock")
		}
		// B polls until A's lock has expired.
		var fb int64
		deadline := time.Now().Add(5 * time.Second)
		for {
			f, ok, err := st.LockAccessToken(ctx, "wxapp", time.Minute)
			must(t, err)
			if ok {
				fb = f
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("A's lock never expired")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if fb <= fa {
			t.Fatalf("B's fence %d is not above A's %d", fb, fa)
		}

		err = st.SaveAccessToken(ctx, "wxapp", fa, miniauth.AccessToken{Value: "from-A", ExpiresAt: now.Add(time.Hour)})
		if !errors.Is(err, miniauth.ErrFenceLost) {
			t.Fatalf("A's save = %v, want ErrFenceLost", err)
		}
		if tok, _ := st.LoadAccessToken(ctx, "wxapp"); tok.Value != "" {
			t.Fatalf("A's save stored %q", tok.Value)
		}
		// A's failed save did not release B's lock.
		if _, ok, _ := st.LockAccessToken(ctx, "wxapp", time.Minute); ok {
			t.Fatal("A's failed save released B's lock")
		}
		must(t, st.SaveAccessToken(ctx, "wxapp", fb, miniauth.AccessToken{Value: "from-B", ExpiresAt: now.Add(time.Hour)}))
		if tok, _ := st.LoadAccessToken(ctx, "wxapp"); tok.Value != "from-B" {
			t.Fatalf("after B's save the token is %q", tok.Value)
		}
	})
}

// Many nodes racing for the lock: exactly one gets it.
func TestAccessTokenLockContention(t *testing.T) {
	redis.ForEachDeployment(t, func(t *testing.T, redisURL string) {
		ctx := context.Background()
		url := redisURL
		c := open(t, url)
		st := c.AccessTokens()
		for round := range 5 {
			var winners atomic.Int32
			var fence atomic.Int64
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					f, ok, err := st.LockAccessToken(ctx, "wxapp", time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						winners.Add(1)
						fence.Store(f)
					}
				})
			}
			wg.Wait()
			if winners.Load() != 1 {
				t.Fatalf("round %d: %d holders at once", round, winners.Load())
			}
			must(t, st.SaveAccessToken(ctx, "wxapp", fence.Load(), miniauth.AccessToken{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}))
		}
	})
}

func TestReserveForceRefresh(t *testing.T) {
	redis.ForEachDeployment(t, func(t *testing.T, redisURL string) {
		ctx := context.Background()
		st := open(t, redisURL).AccessTokens()
		t0 := time.Now().Truncate(time.Millisecond)
		const gap, perDay = 30 * time.Second, 20

		steps := []struct {
			at   time.Duration
			want bool
		}{
			{0, true},
			{10 * time.Second, false}, // within 30 s of the last
			{30*time.Second - time.Millisecond, false}, // just short of the gap
			{30 * time.Second, true},                   // exactly the gap
			{30*time.Second + time.Millisecond, false}, // right after the last one
		}
		for _, s := range steps {
			got, err := st.ReserveForceRefresh(ctx, "wxapp", t0.Add(s.at), gap, perDay)
			must(t, err)
			if got != s.want {
				t.Fatalf("at +%v: reserved = %v, want %v", s.at, got, s.want)
			}
		}
		// 18 more, a minute apart: 20 in the day, then no more.
		at := 30 * time.Second
		for i := range 18 {
			at += time.Minute
			if ok, err := st.ReserveForceRefresh(ctx, "wxapp", t0.Add(at), gap, perDay); !ok || err != nil {
				t.Fatalf("reservation %d: %v, %v", i+3, ok, err)
			}
		}
		at += time.Minute
		if ok, _ := st.ReserveForceRefresh(ctx, "wxapp", t0.Add(at), gap, perDay); ok {
			t.Fatal("a 21st forced refresh within 24 hours was allowed")
		}
		// Another app has its own count.
		if ok, _ := st.ReserveForceRefresh(ctx, "otherapp", t0.Add(at), gap, perDay); !ok {
			t.Fatal("another app's limit was shared")
		}
		// 24 hours after the first, it no longer counts.
		next := t0.Add(24*time.Hour + time.Millisecond)
		if ok, _ := st.ReserveForceRefresh(ctx, "wxapp", next, gap, perDay); !ok {
			t.Fatal("the first reservation did not age out after 24 hours")
		}

		// The window slides one reservation at a time (no gap, 2 a day).
		daily := []struct {
			at   time.Duration
			want bool
		}{
			{0, true},
			{time.Hour, true},
			{2 * time.Hour, false},
			{24*time.Hour + time.Millisecond, true},    // the first aged out
			{24*time.Hour + 2*time.Millisecond, false}, // the second has not
			{25*time.Hour + time.Millisecond, true},
		}
		for _, d := range daily {
			got, err := st.ReserveForceRefresh(ctx, "daily", t0.Add(d.at), 0, 2)
			must(t, err)
			if got != d.want {
				t.Fatalf("2 a day, at +%v: reserved = %v, want %v", d.at, got, d.want)
			}
		}

		// Racing nodes: with a gap, only one of many simultaneous calls wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		later := t0.Add(72 * time.Hour)
		for range 20 {
			wg.Go(func() {
				ok, err := st.ReserveForceRefresh(ctx, "race", later, gap, perDay)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d simultaneous forced refreshes allowed, want 1", wins.Load())
		}
	})
}

// Redis down: every method answers EUpstreamUnavailable, quickly; Redis back:
// the same Client works again.
func TestOutageAndRecovery(t *testing.T) {
	srv := testserver.NewRedis(t)
	c := open(t, srv.URL)
	ctx := context.Background()
	now := time.Now()
	s := storetest.NewSession(miniauth.NewID(), now)
	must(t, c.Sessions().CreateSession(ctx, s))

	srv.Stop()
	calls := map[string]func() error{
		"Ping":                func() error { return c.Ping(ctx) },
		"CreateSession":       func() error { return c.Sessions().CreateSession(ctx, storetest.NewSession(miniauth.NewID(), now)) },
		"SessionByAccessHash": func() error { _, err := c.Sessions().SessionByAccessHash(ctx, s.AccessHash); return err },
		"RotateRefresh": func() error {
			_, err := c.Sessions().RotateRefresh(ctx, s.RefreshHash, storetest.NewRotation(now))
			return err
		},
		"RevokeSession":      func() error { return c.Sessions().RevokeSession(ctx, s.ID) },
		"RevokeUserSessions": func() error { _, err := c.Sessions().RevokeUserSessions(ctx, s.UserID); return err },
		"UserSessions":       func() error { _, err := c.Sessions().UserSessions(ctx, s.UserID, time.Now()); return err },
		"TouchSessions":      func() error { return c.Sessions().TouchSessions(ctx, now, []string{s.ID}) },
		"Publish":            func() error { return c.Events().PublishSessionChanged(ctx, s.ID) },
		"LoadAccessToken":    func() error { _, err := c.AccessTokens().LoadAccessToken(ctx, "wxapp"); return err },
		"LockAccessToken":    func() error { _, _, err := c.AccessTokens().LockAccessToken(ctx, "wxapp", time.Second); return err },
		"SaveAccessToken": func() error {
			return c.AccessTokens().SaveAccessToken(ctx, "wxapp", 1, miniauth.AccessToken{Value: "v"})
		},
		"ReserveForceRefresh": func() error {
			_, err := c.AccessTokens().ReserveForceRefresh(ctx, "wxapp", now, time.Second, 20)
			return err
		},
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		if code(err) != miniauth.EUpstreamUnavailable {
			t.Errorf("%s with Redis down = %v, want code %s", name, err, miniauth.EUpstreamUnavailable)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("%s took %v to fail", name, d)
		}
	}

	must(t, srv.Start())
	// The server kept no data (it runs without persistence): recovery
	// means new writes and reads work on the same Client.
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	for c.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the Client did not recover within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("recovered %v after the server answered again", time.Since(start))
	s2 := storetest.NewSession(miniauth.NewID(), now)
	must(t, c.Sessions().CreateSession(ctx, s2))
	if _, err := c.Sessions().SessionByAccessHash(ctx, s2.AccessHash); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if _, err := c.Sessions().RotateRefresh(ctx, s2.RefreshHash, storetest.NewRotation(now)); err != nil {
		t.Fatalf("after recovery (scripts reloaded): %v", err)
	}
}

func BenchmarkSessionByAccessHash(b *testing.B) {
	ctx := context.Background()
	st := open(b, testserver.Redis(b)).Sessions()
	s := storetest.NewSession(miniauth.NewID(), time.Now())
	must(b, st.CreateSession(ctx, s))
	b.ResetTimer()
	for b.Loop() {
		if _, err := st.SessionByAccessHash(ctx, s.AccessHash); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSessionByAccessHashParallel(b *testing.B) {
	ctx := context.Background()
	st := open(b, testserver.Redis(b)).Sessions()
	s := storetest.NewSession(miniauth.NewID(), time.Now())
	must(b, st.CreateSession(ctx, s))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := st.SessionByAccessHash(ctx, s.AccessHash); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRotateRefresh(b *testing.B) {
	ctx := context.Background()
	st := open(b, testserver.Redis(b)).Sessions()
	now := time.Now()
	s := storetest.NewSession(miniauth.NewID(), now)
	must(b, st.CreateSession(ctx, s))
	cur := s.RefreshHash
	b.ResetTimer()
	for b.Loop() {
		r := storetest.NewRotation(now)
		if _, err := st.RotateRefresh(ctx, cur, r); err != nil {
			b.Fatal(err)
		}
		cur = r.RefreshHash
	}
}
