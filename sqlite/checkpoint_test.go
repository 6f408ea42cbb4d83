package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/sqlite"
)

// usersInFile counts the users the database file itself holds, ignoring
// its write-ahead log (immutable=1): what checkpoints have copied there.
func usersInFile(t *testing.T, path string) int {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow("SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		return 0 // the table itself is still only in the log
	}
	return n
}

func addUsers(t *testing.T, db *sqlite.DB, n int) {
	t.Helper()
	now := time.Now()
	for i := range n {
		u := &miniauth.User{ID: miniauth.NewID(), CreatedAt: now, UpdatedAt: now}
		id := miniauth.Identity{Platform: "weixin", AppID: "app", OpenID: fmt.Sprintf("openid-%d", i)}
		if _, _, err := db.FindOrCreateByIdentity(context.Background(), id, u); err != nil {
			t.Fatal(err)
		}
	}
}

// Commits never checkpoint: the log grows past SQLite's own threshold
// (1,000 pages) and the file stays as it was until the checkpointer runs.
func TestWritesLeaveCheckpointsToTheCheckpointer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{CheckpointEvery: time.Hour, WriteBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	addUsers(t, db, 1500)
	if n := usersInFile(t, path); n != 0 {
		t.Fatalf("the file holds %d users before any background checkpoint", n)
	}
}

func TestCheckpointerCopiesTheLogIntoTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{CheckpointEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	addUsers(t, db, 300)
	deadline := time.Now().Add(10 * time.Second)
	for usersInFile(t, path) != 300 {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s the file holds %d of 300 users", usersInFile(t, path))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
