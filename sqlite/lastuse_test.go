package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/sqlite"
	"github.com/miniauth/miniauth/storetest"
)

// Last use goes to a file of its own: the sessions table keeps the time
// of the login, every read of a session takes the later of the two, a
// reopened database still has it, and the rows of ended sessions go.
func TestLastUseLivesInItsOwnFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "miniauth.db")
	refreshTTL := 24 * time.Hour
	db, err := sqlite.Open(ctx, path, sqlite.Options{RefreshTTL: refreshTTL})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	now := time.Now().UTC().Truncate(time.Millisecond)
	a, b := storetest.NewSession("user-1", now), storetest.NewSession("user-1", now)
	for _, x := range []*miniauth.Session{a, b} {
		if err := db.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	used := now.Add(5 * time.Minute)
	if err := db.TouchSessions(ctx, used, []string{a.ID}); err != nil {
		t.Fatal(err)
	}
	lastUsed := func(db *sqlite.DB) map[string]time.Time {
		t.Helper()
		list, err := db.UserSessions(ctx, "user-1", now)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]time.Time{}
		for _, x := range list {
			out[x.ID] = x.LastUsedAt
		}
		return out
	}
	if got := lastUsed(db); !got[a.ID].Equal(used) || !got[b.ID].Equal(now) {
		t.Fatalf("last use: %v; want %v for the touched session, %v for the other", got, used, now)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var inTable int64
	if err := raw.QueryRow(`SELECT last_used_at FROM sessions WHERE id = ?`, a.ID).Scan(&inTable); err != nil {
		t.Fatal(err)
	}
	if inTable != now.UnixMilli() {
		t.Errorf("the sessions table's last_used_at moved to %v: touches must not write the database", time.UnixMilli(inTable))
	}

	db.Close()
	if db, err = sqlite.Open(ctx, path, sqlite.Options{RefreshTTL: refreshTTL}); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(db); !got[a.ID].Equal(used) {
		t.Errorf("after reopening: %v, want %v", got[a.ID], used)
	}

	rows := func() (n int) {
		t.Helper()
		lu, err := sql.Open("sqlite", path+"-lastuse")
		if err != nil {
			t.Fatal(err)
		}
		defer lu.Close()
		if err := lu.QueryRow(`SELECT COUNT(*) FROM last_use`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := db.TouchSessions(ctx, used, []string{b.ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeSession(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 1 {
		t.Errorf("%d last-use rows after revoking one of two sessions, want 1", n)
	}
	// A touch that came after the end, then the purge a refresh TTL on.
	if err := db.TouchSessions(ctx, used, []string{a.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteExpired(ctx, used.Add(refreshTTL)); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 2 {
		t.Errorf("%d last-use rows purged at their refresh TTL, want none yet", 2-n)
	}
	if _, err := db.DeleteExpired(ctx, used.Add(refreshTTL+time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 0 {
		t.Errorf("%d last-use rows past the refresh TTL, want 0", n)
	}
}
