package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/storetest"
)

var prefixes atomic.Int64

// open connects to url with a key prefix of the test's own.
func open(t testing.TB, url string) *redis.Client {
	t.Helper()
	prefix := fmt.Sprintf("x%d_%s:", prefixes.Add(1), strings.ReplaceAll(t.Name(), "/", "_"))
	c, err := redis.Open(context.Background(), url, redis.Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sameSession(t *testing.T, got, want *miniauth.Session) {
	t.Helper()
	if got == nil {
		t.Fatalf("got no session, want %s", want.ID)
	}
	g, w := *got, *want
	for _, p := range []*time.Time{&g.CreatedAt, &g.LastUsedAt, &g.AccessExpiresAt, &g.RefreshExpiresAt, &g.IssuedAt,
		&w.CreatedAt, &w.LastUsedAt, &w.AccessExpiresAt, &w.RefreshExpiresAt, &w.IssuedAt} {
		*p = p.UTC()
	}
	if g != w {
		t.Errorf("session differs:\n got %+v\nwant %+v", g, w)
	}
}

func code(err error) string { return miniauth.ErrorCode(err) }

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("bad prefix", func(t *testing.T) {
		_, err := redis.Open(ctx, testserver.Redis(t), redis.Options{KeyPrefix: "a{b}:"})
		if err == nil {
			t.Fatal("a prefix with a hash tag was accepted")
		}
	})

	t.Run("bad URL keeps the password out", func(t *testing.T) {
		for _, u := range []string{"http://u:s3cret@127.0.0.1:1/0", "redis://u:s3cret@127.0.0.1:1/x", "redis://u:s3cret@[::1/0"} {
			_, err := redis.Open(ctx, u, redis.Options{})
			if err == nil {
				t.Fatalf("Open(%q) succeeded", u)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		}
	})

	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		addr := l.Addr().String()
		l.Close()
		start := time.Now()
		_, err = redis.Open(ctx, "redis://:s3cret@"+addr+"/0", redis.Options{})
		if code(err) != miniauth.EUpstreamUnavailable {
			t.Fatalf("Open with nothing listening = %v, want code %s", err, miniauth.EUpstreamUnavailable)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Open took %v to fail", d)
		}
	})

	t.Run("server that never answers", func(t *testing.T) {
		// Accepts connections and reads, but never writes: only the read
		// timeout ends the wait.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					buf := make([]byte, 1024)
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
					}
				}()
			}
		}()
		start := time.Now()
		_, err = redis.Open(ctx, "redis://"+l.Addr().String()+"/0", redis.Options{})
		if code(err) != miniauth.EUpstreamUnavailable {
			t.Fatalf("Open of a silent server = %v, want code %s", err, miniauth.EUpstreamUnavailable)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Open took %v to give up on a silent server", d)
		}
	})
}

func TestSessionLifecycle(t *testing.T) {
	redis.ForEachDeployment(t, func(t *testing.T, redisURL string) {
		ctx := context.Background()
		st := open(t, redisURL).Sessions()
		now := time.Now()
		user := miniauth.NewID()
		s := storetest.NewSession(user, now)
		must(t, st.CreateSession(ctx, s))

		got, err := st.SessionByAccessHash(ctx, s.AccessHash)
		must(t, err)
		sameSession(t, got, s)

		if _, err := st.SessionByAccessHash(ctx, miniauth.HashToken("unknown")); code(err) != miniauth.ENotFound {
			t.Errorf("unknown access hash: %v, want not_found", err)
		}
		if _, err := st.SessionByAccessHash(ctx, s.RefreshHash); code(err) != miniauth.ENotFound {
			t.Errorf("refresh hash used as access hash: %v, want not_found", err)
		}

		// Touch, including an unknown session (no error, and no stub created).
		touched := now.Add(time.Minute).Truncate(time.Millisecond)
		must(t, st.TouchSessions(ctx, touched, []string{s.ID}))
		must(t, st.TouchSessions(ctx, touched, []string{miniauth.NewID()}))
		got, err = st.SessionByAccessHash(ctx, s.AccessHash)
		must(t, err)
		if !got.LastUsedAt.Equal(touched) {
			t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, touched)
		}

		// Rotate.
		r := storetest.NewRotation(now.Add(time.Hour))
		rotated, err := st.RotateRefresh(ctx, s.RefreshHash, r)
		must(t, err)
		want := *s
		want.AccessHash, want.RefreshHash = r.AccessHash, r.RefreshHash
		want.AccessExpiresAt, want.RefreshExpiresAt, want.LastUsedAt = r.AccessExpiresAt, r.RefreshExpiresAt, r.At
		want.IssuedAt = r.At // the tokens' issue time, for the ledger's checks
		sameSession(t, rotated, &want)
		if _, err := st.SessionByAccessHash(ctx, s.AccessHash); code(err) != miniauth.ENotFound {
			t.Errorf("old access token after rotation: %v, want not_found", err)
		}
		got, err = st.SessionByAccessHash(ctx, r.AccessHash)
		must(t, err)
		sameSession(t, got, &want)

		// The old refresh token again: reuse, with the session.
		reused, err := st.RotateRefresh(ctx, s.RefreshHash, storetest.NewRotation(now.Add(2*time.Hour)))
		if !errors.Is(err, miniauth.ErrRefreshReused) || code(err) != miniauth.EUnauthorized {
			t.Fatalf("reuse: err = %v, want ErrRefreshReused", err)
		}
		sameSession(t, reused, &want)

		// Unknown and expired refresh tokens.
		if _, err := st.RotateRefresh(ctx, miniauth.HashToken("unknown"), storetest.NewRotation(now)); code(err) != miniauth.ENotFound {
			t.Errorf("unknown refresh: %v, want not_found", err)
		}
		if _, err := st.RotateRefresh(ctx, r.RefreshHash, storetest.NewRotation(r.RefreshExpiresAt)); code(err) != miniauth.ENotFound {
			t.Errorf("refresh at its expiry: %v, want not_found", err)
		}

		// Revoke: every token stops working.
		must(t, st.RevokeSession(ctx, s.ID))
		must(t, st.RevokeSession(ctx, s.ID)) // again: not an error
		if _, err := st.SessionByAccessHash(ctx, r.AccessHash); code(err) != miniauth.ENotFound {
			t.Errorf("access after revoke: %v", err)
		}
		for _, h := range []string{r.RefreshHash, s.RefreshHash} {
			if _, err := st.RotateRefresh(ctx, h, storetest.NewRotation(now)); code(err) != miniauth.ENotFound {
				t.Errorf("refresh after revoke: %v, want not_found", err)
			}
		}
		list, err := st.UserSessions(ctx, user, time.Now())
		must(t, err)
		if len(list) != 0 {
			t.Errorf("UserSessions after revoke: %d sessions", len(list))
		}
		if n, err := st.DeleteExpired(ctx, now); n != 0 || err != nil {
			t.Errorf("DeleteExpired = %d, %v", n, err)
		}
		must(t, st.Ping(ctx))

		// Empty ids name nothing.
		must(t, st.RevokeSession(ctx, ""))
		must(t, st.TouchSessions(ctx, now, []string{""}))
		bad := storetest.NewSession(user, now)
		bad.ID = ""
		if err := st.CreateSession(ctx, bad); code(err) != miniauth.EInvalidRequest {
			t.Errorf("CreateSession without an id = %v, want invalid_request", err)
		}
	})
}

func TestUserSessions(t *testing.T) {
	redis.ForEachDeployment(t, func(t *testing.T, redisURL string) {
		ctx := context.Background()
		st := open(t, redisURL).Sessions()
		now := time.Now()
		user, other := miniauth.NewID(), miniauth.NewID()
		var want []string
		for i := range 5 {
			s := storetest.NewSession(user, now.Add(time.Duration(i)*time.Second))
			must(t, st.CreateSession(ctx, s))
			want = append([]string{s.ID}, want...) // newest first
		}
		theirs := storetest.NewSession(other, now)
		must(t, st.CreateSession(ctx, theirs))

		list, err := st.UserSessions(ctx, user, time.Now())
		must(t, err)
		var got []string
		for _, s := range list {
			got = append(got, s.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("UserSessions = %v, want newest first %v", got, want)
		}

		ids, err := st.RevokeUserSessions(ctx, user)
		must(t, err)
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("RevokeUserSessions = %v, want %v", ids, want)
		}
		if list, _ := st.UserSessions(ctx, user, time.Now()); len(list) != 0 {
			t.Errorf("%d sessions left", len(list))
		}
		if ids, err := st.RevokeUserSessions(ctx, user); err != nil || len(ids) != 0 {
			t.Errorf("RevokeUserSessions again = %v, %v", ids, err)
		}
		if _, err := st.SessionByAccessHash(ctx, theirs.AccessHash); err != nil {
			t.Errorf("another user's session was touched: %v", err)
		}
	})
}

// Of many concurrent rotations with one refresh token exactly one wins; the
// others see reuse or not-found, never a second success.
func TestRotateRefreshConcurrent(t *testing.T) {
	redis.ForEachDeployment(t, func(t *testing.T, redisURL string) {
		ctx := context.Background()
		st := open(t, redisURL).Sessions()
		now := time.Now()
		for round := range 5 {
			s := storetest.NewSession(miniauth.NewID(), now)
			must(t, st.CreateSession(ctx, s))
			const n = 20
			var wins, losses atomic.Int32
			var winner atomic.Pointer[miniauth.Rotation]
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					r := storetest.NewRotation(now.Add(time.Minute))
					_, err := st.RotateRefresh(ctx, s.RefreshHash, r)
					switch {
					case err == nil:
						wins.Add(1)
						winner.Store(&r)
					case errors.Is(err, miniauth.ErrRefreshReused), code(err) == miniauth.ENotFound:
						losses.Add(1)
					default:
						t.Errorf("unexpected error: %v", err)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 || losses.Load() != n-1 {
				t.Fatalf("round %d: %d wins, %d losses; want 1 and %d", round, wins.Load(), losses.Load(), n-1)
			}
			// The winner's tokens work; the losers' left nothing usable.
			got, err := st.SessionByAccessHash(ctx, winner.Load().AccessHash)
			must(t, err)
			if got.RefreshHash != winner.Load().RefreshHash {
				t.Fatalf("session carries another refresh hash than the winner's")
			}
		}
	})
}

// Concurrent use of every method, for the race detector.
func TestSessionsConcurrent(t *testing.T) {
	redis.ForEachDeployment(t, func(t *testing.T, redisURL string) {
		ctx := context.Background()
		st := open(t, redisURL).Sessions()
		now := time.Now()
		user := miniauth.NewID()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 20 {
					s := storetest.NewSession(user, now)
					if err := st.CreateSession(ctx, s); err != nil {
						t.Error(err)
						return
					}
					if _, err := st.SessionByAccessHash(ctx, s.AccessHash); err != nil {
						t.Error(err)
					}
					if _, err := st.RotateRefresh(ctx, s.RefreshHash, storetest.NewRotation(now)); err != nil {
						t.Error(err)
					}
					if err := st.TouchSessions(ctx, now, []string{s.ID}); err != nil {
						t.Error(err)
					}
					if _, err := st.UserSessions(ctx, user, time.Now()); err != nil {
						t.Error(err)
					}
					if err := st.RevokeSession(ctx, s.ID); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if list, err := st.UserSessions(ctx, user, time.Now()); err != nil || len(list) != 0 {
			t.Errorf("left: %d sessions, %v", len(list), err)
		}
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
