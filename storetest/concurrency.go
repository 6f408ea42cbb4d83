package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// testConcurrentRotations: of many concurrent rotations with one refresh
// token exactly one wins; the others see a reuse, never a second success.
func testConcurrentRotations(t *testing.T, s miniauth.SessionStore, now time.Time) {
	c := ctx(t)
	x := NewSession("user-1", now)
	if err := s.CreateSession(c, x); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	rots := make([]miniauth.Rotation, n)
	start := make(chan struct{})
	for i := range n {
		rots[i] = NewRotation(now.Add(time.Minute))
		wg.Go(func() {
			<-start
			_, errs[i] = s.RotateRefresh(c, x.RefreshHash, rots[i])
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("rotations %d and %d both succeeded", winner, i)
			}
			winner = i
		case errors.Is(err, miniauth.ErrRefreshReused):
		default:
			t.Fatalf("rotation %d: %v, want success or ErrRefreshReused", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no rotation succeeded")
	}
	got, err := s.SessionByAccessHash(c, rots[winner].AccessHash)
	if err != nil || got.RefreshHash != rots[winner].RefreshHash {
		t.Fatalf("the winner's tokens are not the session's: %+v, %v", got, err)
	}
}

// testConcurrentUse runs every method at once from several goroutines, for
// the race detector, and checks that nothing is left behind.
func testConcurrentUse(t *testing.T, s miniauth.SessionStore, now time.Time) {
	c := ctx(t)
	const user = "user-1"
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				if err := useOneSession(c, s, user, now); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if list, err := s.UserSessions(c, user, now); err != nil || len(list) != 0 {
		t.Fatalf("left: %d sessions, %v", len(list), err)
	}
}

// useOneSession takes one session through its life: create, look up,
// rotate, touch, list, revoke.
func useOneSession(c context.Context, s miniauth.SessionStore, user string, now time.Time) error {
	x := NewSession(user, now)
	if err := s.CreateSession(c, x); err != nil {
		return err
	}
	if _, err := s.SessionByAccessHash(c, x.AccessHash); err != nil {
		return err
	}
	if _, err := s.RotateRefresh(c, x.RefreshHash, NewRotation(now)); err != nil {
		return err
	}
	if err := s.TouchSessions(c, now, []string{x.ID}); err != nil {
		return err
	}
	if _, err := s.UserSessions(c, user, now); err != nil {
		return err
	}
	return s.RevokeSession(c, x.ID)
}
