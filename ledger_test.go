package miniauth

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeLedger is an in-memory SessionLedger for this package's tests.
type fakeLedger struct {
	mu        sync.Mutex
	revoked   map[string]bool
	rotations map[string]string
	ended     map[string]time.Time
	instances map[string]time.Time
	calls     int
}

func newFakeLedger() *fakeLedger {
	return &fakeLedger{revoked: map[string]bool{}, rotations: map[string]string{}, ended: map[string]time.Time{}, instances: map[string]time.Time{}}
}

func (f *fakeLedger) RecordRevoked(_ context.Context, id string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked[id] = true
	return nil
}

func (f *fakeLedger) RecordUserSessionsEnded(_ context.Context, uid string, at, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if at.After(f.ended[uid]) {
		f.ended[uid] = at
	}
	return nil
}

func (f *fakeLedger) RecordRotation(_ context.Context, id, hash string, _, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rotations[id] = hash
	return nil
}

func (f *fakeLedger) LedgerRecord(_ context.Context, id, uid string) (LedgerRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return LedgerRecord{Revoked: f.revoked[id], RefreshHash: f.rotations[id], UserSessionsEndedAt: f.ended[uid]}, nil
}

func (f *fakeLedger) InstanceFirstSeen(_ context.Context, id string, at time.Time) (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if first, ok := f.instances[id]; ok {
		return first, nil
	}
	f.instances[id] = at
	return at, nil
}

func (f *fakeLedger) PurgeLedger(context.Context, time.Time) (int, error) { return 0, nil }

func TestTrustBoundaryMovesOnNewInstancesOnly(t *testing.T) {
	l, clk := newFakeLedger(), &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	b := NewTrustBoundary(l, time.Second, clk.Now)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.InstanceSeen(ctx, "run-a"))
	if want := clk.Now().Add(time.Second); !b.Time().Equal(want) {
		t.Fatalf("boundary %v, want first sighting + skew %v", b.Time(), want)
	}
	calls := l.calls
	must(b.InstanceSeen(ctx, "run-a"))
	if l.calls != calls {
		t.Error("a known instance asked the ledger again")
	}
	// Another node met run-old long ago: meeting it now never moves the
	// boundary back.
	l.instances["run-old"] = clk.Now().Add(-time.Hour)
	before := b.Time()
	must(b.InstanceSeen(ctx, "run-old"))
	if !b.Time().Equal(before) {
		t.Errorf("boundary moved back to %v", b.Time())
	}
	clk.Add(time.Minute)
	must(b.InstanceSeen(ctx, "run-b"))
	if want := clk.Now().Add(time.Second); !b.Time().Equal(want) {
		t.Errorf("after a restart: boundary %v, want %v", b.Time(), want)
	}
}

// The store loses data and brings back a copy of a session that was logged
// out, and one of a session rotated since: both are refused. A session
// that lived on passes, and so do sessions issued after the boundary,
// without the ledger.
func TestLedgerOutvotesAStoreThatLostData(t *testing.T) {
	f := newFixture(t)
	l := newFakeLedger()
	b := NewTrustBoundary(l, time.Second, f.clock.Now)
	f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{Apps: []string{"wxapp"}, Now: f.clock.Now, Ledger: l, Boundary: b, RefreshReuseLeeway: DefaultRefreshReuseLeeway})
	ctx := context.Background()
	if err := b.InstanceSeen(ctx, "run-1"); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute)
	loggedOut, rotated, kept := f.login(t, "o1"), f.login(t, "o2"), f.login(t, "o3")
	snapshot := f.sessions.copyAll()

	s, err := f.svc.Verify(ctx, loggedOut.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Logout(ctx, LogoutRequest{Session: s}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: rotated.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	calls := l.calls
	if _, err := f.svc.Verify(ctx, kept.AccessToken); err != nil || l.calls != calls {
		t.Fatalf("a session issued after the boundary: %v, ledger asked %d times", err, l.calls-calls)
	}

	// Redis restarts with the snapshot.
	f.clock.Add(time.Minute)
	f.sessions.restore(snapshot)
	if err := b.InstanceSeen(ctx, "run-2"); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"logged out": loggedOut.AccessToken, "rotated away": rotated.AccessToken} {
		if _, err := f.svc.Verify(ctx, token); ErrorCode(err) != EUnauthorized {
			t.Errorf("%s access token after the loss: %v, want unauthorized", name, err)
		}
	}
	if _, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: rotated.RefreshToken}); ErrorCode(err) != EUnauthorized {
		t.Errorf("rotated-away refresh token after the loss: %v, want unauthorized", err)
	}
	if _, err := f.svc.Verify(ctx, kept.AccessToken); err != nil {
		t.Errorf("a session that lived on: %v", err)
	}
}
