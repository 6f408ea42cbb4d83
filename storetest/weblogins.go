package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// live are the statuses a scan, confirm or deny starts from.
var live = []string{miniauth.WebLoginPending, miniauth.WebLoginScanned}

// newWebLogin returns a pending ticket, created now, expiring in a minute.
func newWebLogin(now time.Time) *miniauth.WebLogin {
	return &miniauth.WebLogin{
		Hash:      miniauth.HashToken(miniauth.NewID()),
		AppID:     "wxapp",
		Status:    miniauth.WebLoginPending,
		CreatedAt: ms(now),
		ExpiresAt: ms(now.Add(time.Minute)),
	}
}

func change(status, user string, at time.Time) miniauth.WebLoginChange {
	return miniauth.WebLoginChange{Status: status, UserID: user, UserAppID: "wxapp", OpenID: "o-" + user, At: at}
}

// TestWebLoginStore is the contract of miniauth.WebLoginStore; open returns
// a fresh, empty store. Times are around the real clock, since some stores
// (Redis) also expire their keys by themselves.
func TestWebLoginStore(t *testing.T, open func(t *testing.T) miniauth.WebLoginStore) {
	now := time.Now().UTC().Truncate(time.Millisecond)

	t.Run("RoundTripAndUnknown", func(t *testing.T) {
		t.Parallel()
		st, c := open(t), ctx(t)
		w := newWebLogin(now)
		if err := st.CreateWebLogin(c, w); err != nil {
			t.Fatal(err)
		}
		got, err := st.WebLogin(c, w.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if *got != *w {
			t.Errorf("read back %+v, want %+v", got, w)
		}
		if _, err := st.WebLogin(c, miniauth.HashToken("unknown")); miniauth.ErrorCode(err) != miniauth.ENotFound {
			t.Errorf("unknown ticket: %v, want not_found", err)
		}
		if _, _, err := st.AdvanceWebLogin(c, miniauth.HashToken("unknown"), live, change(miniauth.WebLoginScanned, "u1", now)); miniauth.ErrorCode(err) != miniauth.ENotFound {
			t.Errorf("advancing an unknown ticket: %v, want not_found", err)
		}
		if _, _, err := st.ClaimWebLogin(c, miniauth.HashToken("unknown"), now); miniauth.ErrorCode(err) != miniauth.ENotFound {
			t.Errorf("claiming an unknown ticket: %v, want not_found", err)
		}
	})

	t.Run("StateMachine", func(t *testing.T) {
		t.Parallel()
		st, c := open(t), ctx(t)
		w := newWebLogin(now)
		if err := st.CreateWebLogin(c, w); err != nil {
			t.Fatal(err)
		}
		step := func(from []string, ch miniauth.WebLoginChange, wantChanged bool, wantStatus, wantUser string) {
			t.Helper()
			got, changed, err := st.AdvanceWebLogin(c, w.Hash, from, ch)
			if err != nil {
				t.Fatal(err)
			}
			if changed != wantChanged || got.Status != wantStatus || got.UserID != wantUser {
				t.Fatalf("%s: changed %v, status %s, user %s; want %v, %s, %s", ch.Status, changed, got.Status, got.UserID,
					wantChanged, wantStatus, wantUser)
			}
		}
		if _, claimed, _ := st.ClaimWebLogin(c, w.Hash, now); claimed {
			t.Fatal("claimed a pending ticket")
		}
		step(live, change(miniauth.WebLoginScanned, "u1", now), true, miniauth.WebLoginScanned, "u1")
		// Scanning again, by the same user: still a change that counts.
		step(live, change(miniauth.WebLoginScanned, "u1", now), true, miniauth.WebLoginScanned, "u1")
		// From a status the caller does not accept: nothing changes.
		step([]string{miniauth.WebLoginPending}, change(miniauth.WebLoginDenied, "u2", now), false, miniauth.WebLoginScanned, "u1")
		step(live, change(miniauth.WebLoginConfirmed, "u2", now), true, miniauth.WebLoginConfirmed, "u2")
		step(live, change(miniauth.WebLoginDenied, "u1", now), false, miniauth.WebLoginConfirmed, "u2")
		got, err := st.WebLogin(c, w.Hash)
		if err != nil || got.UserAppID != "wxapp" || got.OpenID != "o-u2" || got.Delivered {
			t.Fatalf("confirmed ticket %+v, %v", got, err)
		}
		got, claimed, err := st.ClaimWebLogin(c, w.Hash, now)
		if err != nil || !claimed || !got.Delivered {
			t.Fatalf("first claim: %v, %+v, %v", claimed, got, err)
		}
		if _, claimed, err := st.ClaimWebLogin(c, w.Hash, now); err != nil || claimed {
			t.Fatalf("second claim: %v, %v", claimed, err)
		}
		// A claim whose tokens could not be made is released, once claimed again.
		if err := st.UnclaimWebLogin(c, w.Hash); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.WebLogin(c, w.Hash); got.Delivered {
			t.Fatal("still delivered after the release")
		}
		if _, claimed, err := st.ClaimWebLogin(c, w.Hash, now); err != nil || !claimed {
			t.Fatalf("claim after the release: %v, %v", claimed, err)
		}
		if err := st.UnclaimWebLogin(c, miniauth.HashToken("unknown")); err != nil {
			t.Errorf("releasing an unknown ticket: %v", err)
		}
		if got, _ := st.WebLogin(c, w.Hash); !got.Delivered {
			t.Error("delivered is not kept")
		}
	})

	t.Run("NothingHappensOnceExpired", func(t *testing.T) {
		t.Parallel()
		st, c := open(t), ctx(t)
		w := newWebLogin(now)
		if err := st.CreateWebLogin(c, w); err != nil {
			t.Fatal(err)
		}
		late := w.ExpiresAt
		if got, changed, err := st.AdvanceWebLogin(c, w.Hash, live, change(miniauth.WebLoginConfirmed, "u1", late)); err != nil || changed || got.Status != miniauth.WebLoginPending {
			t.Fatalf("confirm at the expiry: %v, %+v, %v", changed, got, err)
		}
		justBefore := late.Add(-time.Millisecond)
		if _, changed, err := st.AdvanceWebLogin(c, w.Hash, live, change(miniauth.WebLoginConfirmed, "u1", justBefore)); err != nil || !changed {
			t.Fatalf("confirm just before the expiry: %v, %v", changed, err)
		}
		if _, claimed, err := st.ClaimWebLogin(c, w.Hash, late); err != nil || claimed {
			t.Fatalf("claim at the expiry: %v, %v", claimed, err)
		}
		if _, claimed, err := st.ClaimWebLogin(c, w.Hash, justBefore); err != nil || !claimed {
			t.Fatalf("claim just before the expiry: %v, %v", claimed, err)
		}
	})

	t.Run("OneOfConcurrentTransitionsWins", func(t *testing.T) {
		t.Parallel()
		st, c := open(t), ctx(t)
		w := newWebLogin(now)
		if err := st.CreateWebLogin(c, w); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status := miniauth.WebLoginConfirmed
				if i%2 == 1 {
					status = miniauth.WebLoginDenied
				}
				_, changed, err := st.AdvanceWebLogin(c, w.Hash, live, change(status, "u", now))
				if err != nil {
					t.Errorf("advance: %v", err)
				}
				if changed {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d of %d concurrent confirms and denies won, want 1", wins.Load(), n)
		}
		got, _ := st.WebLogin(c, w.Hash)
		if got.Status != miniauth.WebLoginConfirmed {
			return // a deny won: nothing to claim
		}
		var claims atomic.Int32
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, claimed, err := st.ClaimWebLogin(c, w.Hash, now); err != nil {
					t.Errorf("claim: %v", err)
				} else if claimed {
					claims.Add(1)
				}
			}()
		}
		wg.Wait()
		if claims.Load() != 1 {
			t.Fatalf("%d of %d concurrent claims won, want 1", claims.Load(), n)
		}
	})

	t.Run("DeleteExpired", func(t *testing.T) {
		t.Parallel()
		st, c := open(t), ctx(t)
		old, fresh := newWebLogin(now), newWebLogin(now)
		old.ExpiresAt = ms(now.Add(10 * time.Second))
		for _, w := range []*miniauth.WebLogin{old, fresh} {
			if err := st.CreateWebLogin(c, w); err != nil {
				t.Fatal(err)
			}
		}
		n, err := st.DeleteExpiredWebLogins(c, now.Add(30*time.Second))
		if err != nil || n > 1 {
			t.Fatalf("deleted %d, %v", n, err)
		}
		if _, err := st.WebLogin(c, old.Hash); n == 1 && miniauth.ErrorCode(err) != miniauth.ENotFound {
			t.Errorf("an expired ticket survived its deletion: %v", err)
		}
		if _, err := st.WebLogin(c, fresh.Hash); err != nil {
			t.Errorf("a live ticket was deleted: %v", err)
		}
	})
}
