package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// TestSessionStore runs the SessionStore contract. open returns a fresh,
// empty store. Its sessions expire in the future as seen by the real clock
// (the suite uses times around now).
func TestSessionStore(t *testing.T, open func(t *testing.T) miniauth.SessionStore) {
	// Around now, so that stores whose entries expire by themselves (Redis
	// TTLs) keep them for the test; with a sub-millisecond part.
	now := time.Now().UTC().Truncate(time.Millisecond).Add(123456 * time.Nanosecond)

	t.Run("CreateAndLookup", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		x := created(t, c, s, NewSession("user-1", now))
		got, err := s.SessionByAccessHash(c, x.AccessHash)
		if err != nil {
			t.Fatal(err)
		}
		sameSession(t, got, x)
		// The refresh hash is not an access hash.
		_, err = s.SessionByAccessHash(c, x.RefreshHash)
		wantCode(t, err, miniauth.ENotFound)
	})

	t.Run("UnknownAccessHash", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		_, err := s.SessionByAccessHash(c, miniauth.HashToken("nope"))
		wantCode(t, err, miniauth.ENotFound)
	})

	t.Run("Rotate", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		x := created(t, c, s, NewSession("user-1", now))
		r := NewRotation(now.Add(time.Minute))
		got, err := s.RotateRefresh(c, x.RefreshHash, r)
		if err != nil {
			t.Fatal(err)
		}
		want := *x
		want.AccessHash, want.RefreshHash = r.AccessHash, r.RefreshHash
		want.AccessExpiresAt, want.RefreshExpiresAt, want.LastUsedAt = r.AccessExpiresAt, r.RefreshExpiresAt, r.At
		want.IssuedAt = r.At
		sameSession(t, got, &want)

		byAccess, err := s.SessionByAccessHash(c, r.AccessHash)
		if err != nil {
			t.Fatal(err)
		}
		sameSession(t, byAccess, &want)
		_, err = s.SessionByAccessHash(c, x.AccessHash)
		wantCode(t, err, miniauth.ENotFound)

		// The new refresh token rotates again.
		r2 := NewRotation(now.Add(2 * time.Minute))
		if _, err := s.RotateRefresh(c, r.RefreshHash, r2); err != nil {
			t.Fatalf("second rotation: %v", err)
		}
		// Each rotated token keeps the time of its own rotation.
		for _, used := range []struct {
			hash string
			at   time.Time
		}{{x.RefreshHash, r.At}, {r.RefreshHash, r2.At}} {
			_, err := s.RotateRefresh(c, used.hash, NewRotation(now.Add(3*time.Minute)))
			var reuse *miniauth.RefreshReuse
			if !errors.As(err, &reuse) || !reuse.RotatedAt.Equal(used.at) {
				t.Fatalf("reuse: %#v, want a *RefreshReuse rotated at %v", err, used.at)
			}
		}
	})

	t.Run("ReuseOfRotatedRefresh", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		x := created(t, c, s, NewSession("user-1", now))
		r := NewRotation(now.Add(time.Minute))
		if _, err := s.RotateRefresh(c, x.RefreshHash, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.RotateRefresh(c, x.RefreshHash, NewRotation(now.Add(2*time.Minute)))
		if !errors.Is(err, miniauth.ErrRefreshReused) {
			t.Fatalf("reuse: err %v, want ErrRefreshReused", err)
		}
		// The store remembers when the token was rotated away, for the
		// reuse leeway.
		var reuse *miniauth.RefreshReuse
		if !errors.As(err, &reuse) || !reuse.RotatedAt.Equal(r.At) {
			t.Fatalf("reuse: %#v, want a *RefreshReuse rotated at %v", err, r.At)
		}
		wantCode(t, err, miniauth.EUnauthorized)
		if got == nil || got.ID != x.ID {
			t.Fatalf("reuse returned session %+v, want %s", got, x.ID)
		}
		// The failed reuse changed nothing: the current tokens still work.
		if _, err := s.SessionByAccessHash(c, r.AccessHash); err != nil {
			t.Fatalf("current access hash after reuse: %v", err)
		}
	})

	t.Run("ConcurrentRotations", func(t *testing.T) {
		t.Parallel()
		testConcurrentRotations(t, open(t), now)
	})

	t.Run("ConcurrentUse", func(t *testing.T) {
		t.Parallel()
		testConcurrentUse(t, open(t), now)
	})

	t.Run("ExpiredRefresh", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		x := created(t, c, s, NewSession("user-1", now))
		_, err := s.RotateRefresh(c, x.RefreshHash, NewRotation(x.RefreshExpiresAt.Add(time.Millisecond)))
		wantCode(t, err, miniauth.ENotFound)
		if errors.Is(err, miniauth.ErrRefreshReused) {
			t.Fatal("an expired refresh token is not a reuse")
		}
		_, err = s.RotateRefresh(c, miniauth.HashToken("unknown"), NewRotation(now))
		wantCode(t, err, miniauth.ENotFound)
	})

	t.Run("RevokeSession", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		x := NewSession("user-1", now)
		keep := NewSession("user-1", now)
		for _, v := range []*miniauth.Session{x, keep} {
			if err := s.CreateSession(c, v); err != nil {
				t.Fatal(err)
			}
		}
		r := NewRotation(now.Add(time.Minute))
		if _, err := s.RotateRefresh(c, x.RefreshHash, r); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeSession(c, x.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.SessionByAccessHash(c, r.AccessHash)
		wantCode(t, err, miniauth.ENotFound)
		_, err = s.RotateRefresh(c, r.RefreshHash, NewRotation(now.Add(2*time.Minute)))
		wantCode(t, err, miniauth.ENotFound)
		// The used refresh hash went with the session: no longer a "reuse".
		_, err = s.RotateRefresh(c, x.RefreshHash, NewRotation(now.Add(2*time.Minute)))
		wantCode(t, err, miniauth.ENotFound)

		if err := s.RevokeSession(c, x.ID); err != nil {
			t.Fatalf("revoking again: %v", err)
		}
		if err := s.RevokeSession(c, miniauth.NewID()); err != nil {
			t.Fatalf("revoking an unknown session: %v", err)
		}
		if _, err := s.SessionByAccessHash(c, keep.AccessHash); err != nil {
			t.Fatalf("another session was revoked too: %v", err)
		}
	})

	t.Run("RevokeUserSessions", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		var mine []string
		for i := range 3 {
			x := NewSession("user-a", now.Add(time.Duration(i)*time.Second))
			if err := s.CreateSession(c, x); err != nil {
				t.Fatal(err)
			}
			mine = append(mine, x.ID)
		}
		other := NewSession("user-b", now)
		if err := s.CreateSession(c, other); err != nil {
			t.Fatal(err)
		}
		ids, err := s.RevokeUserSessions(c, "user-a")
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		slices.Sort(mine)
		if !slices.Equal(ids, mine) {
			t.Fatalf("revoked %v, want %v", ids, mine)
		}
		list, err := s.UserSessions(c, "user-a", time.Now())
		if err != nil || len(list) != 0 {
			t.Fatalf("user-a still has %d sessions, err %v", len(list), err)
		}
		if _, err := s.SessionByAccessHash(c, other.AccessHash); err != nil {
			t.Fatalf("user-b's session was revoked: %v", err)
		}
		ids, err = s.RevokeUserSessions(c, "user-a")
		if err != nil || len(ids) != 0 {
			t.Fatalf("second revoke: %v, %v", ids, err)
		}
	})

	t.Run("UserSessionsNewestFirst", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		var want []*miniauth.Session
		for _, d := range []time.Duration{2, 0, 3, 1} { // created out of order
			x := NewSession("user-a", now.Add(d*time.Second))
			if err := s.CreateSession(c, x); err != nil {
				t.Fatal(err)
			}
			want = append(want, x)
		}
		if err := s.CreateSession(c, NewSession("user-b", now)); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(want, func(a, b *miniauth.Session) int { return b.CreatedAt.Compare(a.CreatedAt) })
		got, err := s.UserSessions(c, "user-a", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d sessions, want %d", len(got), len(want))
		}
		for i := range got {
			sameSession(t, got[i], want[i])
		}
		none, err := s.UserSessions(c, "nobody", time.Now())
		if err != nil || len(none) != 0 {
			t.Fatalf("unknown user: %v, %v", none, err)
		}
	})

	t.Run("TouchSessions", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		a, b, untouched := NewSession("user-1", now), NewSession("user-1", now), NewSession("user-2", now)
		for _, x := range []*miniauth.Session{a, b, untouched} {
			if err := s.CreateSession(c, x); err != nil {
				t.Fatal(err)
			}
		}
		at := now.Add(5*time.Minute + 777*time.Microsecond)
		if err := s.TouchSessions(c, at, []string{a.ID, miniauth.NewID(), b.ID}); err != nil {
			t.Fatalf("touching two sessions and an unknown one: %v", err)
		}
		// Never backwards.
		if err := s.TouchSessions(c, now.Add(time.Minute), []string{a.ID}); err != nil {
			t.Fatal(err)
		}
		for _, x := range []*miniauth.Session{a, b, untouched} {
			got, err := s.SessionByAccessHash(c, x.AccessHash)
			if err != nil {
				t.Fatal(err)
			}
			want := *x
			if x != untouched {
				want.LastUsedAt = at
			}
			sameSession(t, got, &want)
		}
		if err := s.TouchSessions(c, at, nil); err != nil {
			t.Fatalf("touching no session: %v", err)
		}
	})

	t.Run("TouchSessionsBatch", func(t *testing.T) {
		// The service writes a second's worth at once, up to its queue:
		// every engine must take more than its own statements carry.
		t.Parallel()
		s, c := open(t), ctx(t)
		x := created(t, c, s, NewSession("user-1", now))
		y := created(t, c, s, NewSession("user-2", now))
		ids := make([]string, 2500)
		for i := range ids {
			ids[i] = miniauth.NewID()
		}
		ids[500], ids[2400] = x.ID, y.ID
		at := now.Add(time.Hour)
		if err := s.TouchSessions(c, at, ids); err != nil {
			t.Fatal(err)
		}
		for _, z := range []*miniauth.Session{x, y} {
			got, err := s.SessionByAccessHash(c, z.AccessHash)
			if err != nil {
				t.Fatal(err)
			}
			if !got.LastUsedAt.Equal(ms(at)) {
				t.Fatalf("LastUsedAt %v, want %v", got.LastUsedAt, at)
			}
		}
	})

	t.Run("DeleteExpired", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		var live []*miniauth.Session
		for i := range 4 {
			x := NewSession(fmt.Sprint("user-", i), now)
			x.RefreshExpiresAt = now.Add(time.Duration(i+1) * time.Hour)
			if err := s.CreateSession(c, x); err != nil {
				t.Fatal(err)
			}
			live = append(live, x)
		}
		n, err := s.DeleteExpired(c, now.Add(2*time.Hour+time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 && n != 0 { // 0: a store whose entries expire by themselves
			t.Fatalf("deleted %d, want 2 (or 0 for a self-expiring store)", n)
		}
		if n == 2 {
			for i, x := range live {
				_, err := s.SessionByAccessHash(c, x.AccessHash)
				if i < 2 {
					wantCode(t, err, miniauth.ENotFound)
				} else if err != nil {
					t.Fatalf("session %d expiring later was deleted: %v", i, err)
				}
			}
		}
	})

	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		if err := open(t).Ping(ctx(t)); err != nil {
			t.Fatal(err)
		}
	})
}
