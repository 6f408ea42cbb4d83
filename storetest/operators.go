package storetest

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

func newOperator(name string) *miniauth.Operator {
	return &miniauth.Operator{ID: miniauth.NewID(), Name: name, PasswordHash: "$argon2id$v=19$x", CreatedAt: base, UpdatedAt: base}
}

// TestOperatorStore runs the OperatorStore contract. open returns a fresh,
// empty store.
func TestOperatorStore(t *testing.T, open func(t *testing.T) miniauth.OperatorStore) {
	t.Run("create, find, list, passwd, remove", func(t *testing.T) { testOperatorLifecycle(t, open(t)) })
	t.Run("lockout", func(t *testing.T) { testLockout(t, open(t)) })
	t.Run("concurrent failures all count", func(t *testing.T) { testConcurrentFailures(t, open(t)) })
	t.Run("sessions", func(t *testing.T) { testOperatorSessions(t, open(t)) })
	t.Run("audit log pages", func(t *testing.T) { testAuditLog(t, open(t)) })
}

func testOperatorLifecycle(t *testing.T, st miniauth.OperatorStore) {
	c := ctx(t)
	if has, err := st.HasOperators(c); has || err != nil {
		t.Fatalf("empty store has operators: %v, %v", has, err)
	}
	for _, n := range []string{"zoe", "alice"} {
		if err := st.CreateOperator(c, newOperator(n)); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, st.CreateOperator(c, newOperator("alice")), miniauth.EInvalidRequest)
	if has, err := st.HasOperators(c); !has || err != nil {
		t.Fatalf("has operators: %v, %v", has, err)
	}
	ops, err := st.Operators(c)
	if err != nil || len(ops) != 2 || ops[0].Name != "alice" || ops[1].Name != "zoe" {
		t.Fatalf("operators by name: %v, %v", ops, err)
	}
	if err := st.SetOperatorPassword(c, "alice", "$argon2id$new", base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	op, err := st.OperatorByName(c, "alice")
	if err != nil || op.PasswordHash != "$argon2id$new" || !op.UpdatedAt.Equal(ms(base.Add(time.Hour))) || !op.LockedUntil.IsZero() {
		t.Fatalf("after passwd: %+v, %v", op, err)
	}
	wantCode(t, st.SetOperatorPassword(c, "nobody", "x", base), miniauth.ENotFound)
	if err := st.RemoveOperator(c, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err = st.OperatorByName(c, "alice")
	wantCode(t, err, miniauth.ENotFound)
	wantCode(t, st.RemoveOperator(c, "alice"), miniauth.ENotFound)
}

func testLockout(t *testing.T, st miniauth.OperatorStore) {
	c := ctx(t)
	op := newOperator("bob")
	if err := st.CreateOperator(c, op); err != nil {
		t.Fatal(err)
	}
	window := 15 * time.Minute
	// Four failures, then one past the window: the count starts again.
	for i := range 4 {
		if locked, err := st.AddSignInFailure(c, op.ID, base.Add(time.Duration(i)*time.Minute), window, 5); err != nil || !locked.IsZero() {
			t.Fatalf("failure %d: %v, %v", i+1, locked, err)
		}
	}
	later := base.Add(window + time.Minute)
	for i := range 4 {
		if locked, _ := st.AddSignInFailure(c, op.ID, later.Add(time.Duration(i)*time.Second), window, 5); !locked.IsZero() {
			t.Fatalf("failure %d of a new window locked", i+1)
		}
	}
	// A success forgets them.
	if err := st.ClearSignInFailures(c, op.ID); err != nil {
		t.Fatal(err)
	}
	at := later.Add(time.Minute)
	for i := range 4 {
		if locked, _ := st.AddSignInFailure(c, op.ID, at, window, 5); !locked.IsZero() {
			t.Fatalf("failure %d after clearing locked", i+1)
		}
	}
	locked, err := st.AddSignInFailure(c, op.ID, at, window, 5)
	if err != nil || !locked.Equal(ms(at.Add(window))) {
		t.Fatalf("fifth failure: locked until %v, %v; want %v", locked, err, ms(at.Add(window)))
	}
	got, _ := st.OperatorByName(c, "bob")
	if !got.LockedUntil.Equal(locked) {
		t.Fatalf("stored lock %v, want %v", got.LockedUntil, locked)
	}
	// A new password unlocks.
	if err := st.SetOperatorPassword(c, "bob", "x", at); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.OperatorByName(c, "bob"); !got.LockedUntil.IsZero() {
		t.Fatalf("still locked after passwd: %v", got.LockedUntil)
	}
}

func testConcurrentFailures(t *testing.T, st miniauth.OperatorStore) {
	c := ctx(t)
	op := newOperator("carol")
	if err := st.CreateOperator(c, op); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	locks := 0
	for range 5 {
		wg.Go(func() {
			locked, err := st.AddSignInFailure(c, op.ID, base, time.Hour, 5)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !locked.IsZero() {
				locks++
			}
		})
	}
	wg.Wait()
	if locks != 1 {
		t.Fatalf("5 concurrent failures locked %d times, want once", locks)
	}
}

func testOperatorSessions(t *testing.T, st miniauth.OperatorStore) {
	c := ctx(t)
	op := newOperator("dave")
	if err := st.CreateOperator(c, op); err != nil {
		t.Fatal(err)
	}
	s := &miniauth.OperatorSession{ID: miniauth.NewID(), TokenHash: miniauth.HashToken("t1"), OperatorID: op.ID,
		IP: "10.0.0.1", UserAgent: "Mozilla/5.0 浏览器", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := st.CreateOperatorSession(c, s); err != nil {
		t.Fatal(err)
	}
	got, err := st.OperatorSessionByHash(c, s.TokenHash)
	if err != nil || got.ID != s.ID || got.OperatorName != "dave" || got.UserAgent != s.UserAgent ||
		!got.ExpiresAt.Equal(ms(s.ExpiresAt)) {
		t.Fatalf("session: %+v, %v", got, err)
	}
	if n, err := st.DeleteExpiredOperatorSessions(c, base.Add(time.Minute)); n != 0 || err != nil {
		t.Fatalf("deleted a live session: %d, %v", n, err)
	}
	if err := st.DeleteOperatorSession(c, s.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.OperatorSessionByHash(c, s.TokenHash)
	wantCode(t, err, miniauth.ENotFound)

	// Removing an operator ends its sessions.
	s.ID, s.TokenHash = miniauth.NewID(), miniauth.HashToken("t2")
	if err := st.CreateOperatorSession(c, s); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveOperator(c, "dave"); err != nil {
		t.Fatal(err)
	}
	_, err = st.OperatorSessionByHash(c, s.TokenHash)
	wantCode(t, err, miniauth.ENotFound)
}

func testAuditLog(t *testing.T, st miniauth.OperatorStore) {
	c := ctx(t)
	var entries []*miniauth.AuditEntry
	for i := range 5 {
		e := &miniauth.AuditEntry{ID: miniauth.NewID(), At: base.Add(time.Duration(i/2) * time.Second), Operator: "erin",
			Action: miniauth.AuditDisableUser, Target: "u", IP: "::1", UserAgent: "ua"}
		if err := st.AppendAudit(c, e); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b *miniauth.AuditEntry) int {
		return cmp.Or(b.At.Compare(a.At), strings.Compare(b.ID, a.ID))
	})
	// Newest first, two entries a page, ties on the time broken by id.
	var seen []string
	f := miniauth.AuditFilter{Limit: 2}
	for range 4 {
		page, err := st.AuditLog(c, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			seen = append(seen, e.ID)
		}
		if len(page) < 2 {
			break
		}
		f.Before, f.BeforeID = page[len(page)-1].At, page[len(page)-1].ID
	}
	if len(seen) != 5 {
		t.Fatalf("pages held %d entries, want 5", len(seen))
	}
	for i, e := range entries {
		if seen[i] != e.ID {
			t.Fatalf("entry %d is %s, want %s (newest first, then by id)", i, seen[i], e.ID)
		}
	}
}
