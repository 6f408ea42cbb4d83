package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// TestSessionLedger runs the SessionLedger contract. open returns a fresh,
// empty ledger.
func TestSessionLedger(t *testing.T, open func(t *testing.T) miniauth.SessionLedger) {
	now := time.Now().UTC().Truncate(time.Millisecond).Add(654321 * time.Nanosecond)
	later := now.Add(30 * 24 * time.Hour)

	record := func(t *testing.T, l miniauth.SessionLedger, sid, uid string) miniauth.LedgerRecord {
		t.Helper()
		rec, err := l.LedgerRecord(ctx(t), sid, uid)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}

	t.Run("EmptyRecord", func(t *testing.T) {
		t.Parallel()
		l := open(t)
		if rec := record(t, l, miniauth.NewID(), miniauth.NewID()); rec != (miniauth.LedgerRecord{}) {
			t.Fatalf("unknown session: %+v, want the zero record", rec)
		}
	})

	t.Run("Revoked", func(t *testing.T) {
		t.Parallel()
		l, c := open(t), ctx(t)
		sid, other := miniauth.NewID(), miniauth.NewID()
		for range 2 { // recording twice is no error
			if err := l.RecordRevoked(c, sid, later); err != nil {
				t.Fatal(err)
			}
		}
		if rec := record(t, l, sid, "u"); !rec.Revoked || !rec.Ends(now, "") {
			t.Fatalf("revoked session: %+v", rec)
		}
		if rec := record(t, l, other, "u"); rec.Revoked {
			t.Fatal("another session reads as revoked")
		}
	})

	t.Run("LatestRotationWins", func(t *testing.T) {
		t.Parallel()
		l, c := open(t), ctx(t)
		sid := miniauth.NewID()
		h1, h2, h3 := miniauth.HashToken("r1"), miniauth.HashToken("r2"), miniauth.HashToken("r3")
		for _, r := range []struct {
			hash string
			at   time.Time
		}{{h1, now}, {h3, now.Add(2 * time.Second)}, {h2, now.Add(time.Second)}} { // the last one arrives late
			if err := l.RecordRotation(c, sid, r.hash, r.at, later); err != nil {
				t.Fatal(err)
			}
		}
		rec := record(t, l, sid, "u")
		if rec.RefreshHash != h3 {
			t.Fatalf("refresh hash %q, want the latest rotation's %q", rec.RefreshHash, h3)
		}
		if rec.Ends(now, h3) || !rec.Ends(now, h2) {
			t.Fatalf("a copy with the latest hash must live, an older one end: %+v", rec)
		}
	})

	t.Run("ConcurrentRotations", func(t *testing.T) {
		t.Parallel()
		l, c := open(t), ctx(t)
		sid := miniauth.NewID()
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = l.RecordRotation(c, sid, miniauth.HashToken(string(rune('a'+i))), now.Add(time.Duration(i)*time.Millisecond), later)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("rotation %d: %v", i, err)
			}
		}
		if got, want := record(t, l, sid, "u").RefreshHash, miniauth.HashToken(string(rune('a'+n-1))); got != want {
			t.Fatalf("after concurrent rotations the hash is %q, want the latest's %q", got, want)
		}
	})

	t.Run("UserSessionsEnded", func(t *testing.T) {
		t.Parallel()
		l, c := open(t), ctx(t)
		uid := miniauth.NewID()
		if err := l.RecordUserSessionsEnded(c, uid, now.Add(time.Minute), later); err != nil {
			t.Fatal(err)
		}
		if err := l.RecordUserSessionsEnded(c, uid, now, later); err != nil { // earlier: ignored
			t.Fatal(err)
		}
		rec := record(t, l, miniauth.NewID(), uid)
		if !rec.UserSessionsEndedAt.Equal(ms(now.Add(time.Minute))) {
			t.Fatalf("ended at %v, want %v", rec.UserSessionsEndedAt, ms(now.Add(time.Minute)))
		}
		if !rec.Ends(ms(now.Add(time.Minute)), "") || rec.Ends(ms(now.Add(time.Minute+time.Millisecond)), "") {
			t.Fatal("sessions created up to the end must end, later ones live")
		}
		if got := record(t, l, miniauth.NewID(), miniauth.NewID()); !got.UserSessionsEndedAt.IsZero() {
			t.Fatal("another user's sessions read as ended")
		}
	})

	t.Run("InstanceFirstSeen", func(t *testing.T) {
		t.Parallel()
		l, c := open(t), ctx(t)
		id := miniauth.NewID()
		first, err := l.InstanceFirstSeen(c, id, now)
		if err != nil || !first.Equal(ms(now)) {
			t.Fatalf("first sighting: %v, %v; want %v", first, err, ms(now))
		}
		again, err := l.InstanceFirstSeen(c, id, now.Add(time.Hour))
		if err != nil || !again.Equal(ms(now)) {
			t.Fatalf("second sighting: %v, %v; want the first %v", again, err, ms(now))
		}
		other, err := l.InstanceFirstSeen(c, miniauth.NewID(), now.Add(time.Hour))
		if err != nil || !other.Equal(ms(now.Add(time.Hour))) {
			t.Fatalf("another instance: %v, %v", other, err)
		}
	})

	t.Run("Purge", func(t *testing.T) {
		t.Parallel()
		l, c := open(t), ctx(t)
		old, live, uid := miniauth.NewID(), miniauth.NewID(), miniauth.NewID()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(l.RecordRevoked(c, old, now))
		must(l.RecordRotation(c, old, "h", now, now))
		must(l.RecordUserSessionsEnded(c, uid, now, now))
		must(l.RecordRevoked(c, live, later))
		n, err := l.PurgeLedger(c, now.Add(time.Millisecond))
		if err != nil || n != 3 {
			t.Fatalf("purged %d, %v; want 3", n, err)
		}
		if rec := record(t, l, old, uid); rec != (miniauth.LedgerRecord{}) {
			t.Fatalf("purged rows still read: %+v", rec)
		}
		if !record(t, l, live, uid).Revoked {
			t.Fatal("a row kept until later was purged")
		}
	})
}
