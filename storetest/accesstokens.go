package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// TestAccessTokenStore runs the miniauth.AccessTokenStore contract. open
// returns a fresh, empty store. Locks expire by the real clock (the suite
// waits out a short one); forced-refresh reservations take their times
// from the caller.
func TestAccessTokenStore(t *testing.T, open func(t *testing.T) miniauth.AccessTokenStore) {
	const app = "wxapp"

	t.Run("LoadLockSaveUnlock", func(t *testing.T) {
		t.Parallel()
		st, c := open(t), ctx(t)
		if tok, err := st.LoadAccessToken(c, app); err != nil || tok != (miniauth.AccessToken{}) {
			t.Fatalf("no token yet: %+v, %v; want the zero token", tok, err)
		}
		f, ok, err := st.LockAccessToken(c, app, time.Minute)
		if err != nil || !ok || f <= 0 {
			t.Fatalf("LockAccessToken = %d, %v, %v; want a positive fence", f, ok, err)
		}
		if _, ok, _ := st.LockAccessToken(c, app, time.Minute); ok {
			t.Fatal("a held lock was taken again")
		}
		if _, ok, _ := st.LockAccessToken(c, "otherapp", time.Minute); !ok {
			t.Fatal("another app's lock is not independent")
		}
		now := ms(time.Now())
		want := miniauth.AccessToken{Value: "AT-1", ExpiresAt: now.Add(2 * time.Hour), FetchedAt: now}
		if err := st.SaveAccessToken(c, app, f, want); err != nil {
			t.Fatal(err)
		}
		got, err := st.LoadAccessToken(c, app)
		if err != nil || got.Value != want.Value || !got.ExpiresAt.Equal(want.ExpiresAt) || !got.FetchedAt.Equal(want.FetchedAt) {
			t.Fatalf("LoadAccessToken = %+v, %v; want %+v", got, err, want)
		}
		// Saving released the lock, and fences grow.
		f2, ok, err := st.LockAccessToken(c, app, time.Minute)
		if err != nil || !ok || f2 <= f {
			t.Fatalf("after save: LockAccessToken = %d, %v, %v; want a fence above %d", f2, ok, err, f)
		}
		// Unlock with a stale fence does nothing; with the holder's releases.
		if err := st.UnlockAccessToken(c, app, f); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := st.LockAccessToken(c, app, time.Minute); ok {
			t.Fatal("an old fence released the current holder's lock")
		}
		if err := st.UnlockAccessToken(c, app, f2); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := st.LockAccessToken(c, app, time.Minute); !ok {
			t.Fatal("the lock was not released")
		}
	})

	// Holder A's lock expires and B takes it: A's late save must not
	// overwrite B's newer token, nor release B's lock.
	t.Run("Fencing", func(t *testing.T) {
		t.Parallel()
		st, c := open(t), ctx(t)
		fa, ok, err := st.LockAccessToken(c, app, 50*time.Millisecond)
		if err != nil || !ok {
			t.Fatalf("A's lock: %v, %v", ok, err)
		}
		fb := waitForLock(t, st, app)
		if fb <= fa {
			t.Fatalf("B's fence %d is not above A's %d", fb, fa)
		}
		exp := time.Now().Add(time.Hour)
		err = st.SaveAccessToken(c, app, fa, miniauth.AccessToken{Value: "from-A", ExpiresAt: exp})
		if !errors.Is(err, miniauth.ErrFenceLost) {
			t.Fatalf("A's save = %v, want ErrFenceLost", err)
		}
		if tok, _ := st.LoadAccessToken(c, app); tok.Value != "" {
			t.Fatalf("A's save stored %q", tok.Value)
		}
		if _, ok, _ := st.LockAccessToken(c, app, time.Minute); ok {
			t.Fatal("A's failed save released B's lock")
		}
		if err := st.SaveAccessToken(c, app, fb, miniauth.AccessToken{Value: "from-B", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		if tok, _ := st.LoadAccessToken(c, app); tok.Value != "from-B" {
			t.Fatalf("after B's save the token is %q", tok.Value)
		}
	})

	t.Run("LockContention", func(t *testing.T) {
		t.Parallel()
		st, c := open(t), ctx(t)
		for round := range 5 {
			var winners atomic.Int32
			var fence atomic.Int64
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					f, ok, err := st.LockAccessToken(c, app, time.Minute)
					if err != nil {
						t.Error(err)
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
			if err := st.SaveAccessToken(c, app, fence.Load(), miniauth.AccessToken{Value: "v", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("ReserveForceRefresh", func(t *testing.T) {
		t.Parallel()
		testReserveForceRefresh(t, open(t))
	})
}

// waitForLock polls until the app's lock is free and takes it.
func waitForLock(t *testing.T, st miniauth.AccessTokenStore, app string) int64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, ok, err := st.LockAccessToken(ctx(t), app, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock never expired")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testReserveForceRefresh(t *testing.T, st miniauth.AccessTokenStore) {
	c := ctx(t)
	t0 := ms(time.Now())
	const gap, perDay = 30 * time.Second, 20
	reserve := func(app string, at time.Duration, gap time.Duration, perDay int) bool {
		t.Helper()
		ok, err := st.ReserveForceRefresh(c, app, t0.Add(at), gap, perDay)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, s := range []struct {
		at   time.Duration
		want bool
	}{
		{0, true},
		{10 * time.Second, false}, // within 30 s of the last
		{30*time.Second - time.Millisecond, false}, // just short of the gap
		{30 * time.Second, true},                   // exactly the gap
		{30*time.Second + time.Millisecond, false}, // right after the last one
	} {
		if got := reserve("wxapp", s.at, gap, perDay); got != s.want {
			t.Fatalf("at +%v: reserved = %v, want %v", s.at, got, s.want)
		}
	}
	// 18 more, a minute apart: 20 in the day, then no more.
	at := 30 * time.Second
	for i := range 18 {
		at += time.Minute
		if !reserve("wxapp", at, gap, perDay) {
			t.Fatalf("reservation %d refused", i+3)
		}
	}
	at += time.Minute
	if reserve("wxapp", at, gap, perDay) {
		t.Fatal("a 21st forced refresh within 24 hours was allowed")
	}
	if !reserve("otherapp", at, gap, perDay) {
		t.Fatal("another app's limit was shared")
	}
	// 24 hours after the first, it no longer counts.
	if !reserve("wxapp", 24*time.Hour+time.Millisecond, gap, perDay) {
		t.Fatal("the first reservation did not age out after 24 hours")
	}

	// The window slides one reservation at a time (no gap, 2 a day).
	for _, d := range []struct {
		at   time.Duration
		want bool
	}{
		{0, true},
		{time.Hour, true},
		{2 * time.Hour, false},
		{24*time.Hour + time.Millisecond, true},    // the first aged out
		{24*time.Hour + 2*time.Millisecond, false}, // the second has not
		{25*time.Hour + time.Millisecond, true},
	} {
		if got := reserve("daily", d.at, 0, 2); got != d.want {
			t.Fatalf("2 a day, at +%v: reserved = %v, want %v", d.at, got, d.want)
		}
	}

	// Racing nodes: with a gap, only one of many simultaneous calls wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ok, err := st.ReserveForceRefresh(c, "race", t0.Add(72*time.Hour), gap, perDay)
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
}
