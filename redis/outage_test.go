package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/storetest"
)

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
		"UserSessions":       func() error { _, err := c.Sessions().UserSessions(ctx, s.UserID, now); return err },
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
