package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/sqlite"
	_ "modernc.org/sqlite"
)

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fresh.db")
	const n = 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	dbs := make([]*sqlite.DB, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = sqlite.Open(context.Background(), path, sqlite.Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var rows, distinct int
	if err := raw.QueryRow("SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows != distinct {
		t.Fatalf("schema_migrations has %d rows for %d versions", rows, distinct)
	}
	var mode string
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	// Every handle works on the one database.
	u := &miniauth.User{ID: miniauth.NewID(), AppID: "a", OpenID: "o", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	for i, db := range dbs {
		got, _, err := db.FindOrCreateByIdentity(context.Background(), miniauth.Identity{Platform: "weixin", AppID: u.AppID, OpenID: u.OpenID}, u)
		if err != nil || got.ID != u.ID {
			t.Fatalf("db %d: %v, %v", i, got, err)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := "sqlite://" + filepath.Join(t.TempDir(), "keep.db") // the MINIAUTH_DB_URL form
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := &miniauth.User{ID: miniauth.NewID(), AppID: "a", OpenID: "o", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if _, _, err := db.FindOrCreateByIdentity(ctx, miniauth.Identity{Platform: "weixin", AppID: u.AppID, OpenID: u.OpenID}, u); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if _, err := db.UserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, path := range []string{"", "sqlite://", "/tmp/a?b.db"} {
		if _, err := sqlite.Open(context.Background(), path, sqlite.Options{}); miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
			t.Errorf("Open(%q): %v, want invalid_request", path, err)
		}
	}
	_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), sqlite.Options{})
	if err == nil {
		t.Fatal("opening a file in a missing directory succeeded")
	}
}

// BenchmarkLogin measures one login's store work, FindOrCreateByIdentity and
// CreateSession, from parallel goroutines on a file database: "new" makes a
// new user every time (the write-heavy case), "returning" logs in one of
// 1,000 known users.
func BenchmarkLogin(b *testing.B) {
	for _, bc := range []struct {
		name   string
		openid func(i int64) string
	}{
		{"new", func(i int64) string { return fmt.Sprint("new-", i) }},
		{"returning", func(i int64) string { return fmt.Sprint("known-", i%1000) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			login := func(ctx context.Context, openid string) error {
				now := time.Now()
				u, _, err := db.FindOrCreateByIdentity(ctx, benchIdentity(openid), &miniauth.User{ID: miniauth.NewID(), CreatedAt: now, UpdatedAt: now})
				if err != nil {
					return err
				}
				return db.CreateSession(ctx, &miniauth.Session{ID: miniauth.NewID(), UserID: u.ID, AppID: u.AppID, OpenID: u.OpenID, SessionKey: "k",
					AccessHash: miniauth.HashToken(miniauth.NewID()), RefreshHash: miniauth.HashToken(miniauth.NewID()),
					CreatedAt: now, LastUsedAt: now, AccessExpiresAt: now.Add(2 * time.Hour), RefreshExpiresAt: now.Add(720 * time.Hour)})
			}
			for i := range int64(1000) {
				if _, _, err := db.FindOrCreateByIdentity(context.Background(), benchIdentity(fmt.Sprint("known-", i)), &miniauth.User{ID: miniauth.NewID(), CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
					b.Fatal(err)
				}
			}
			var n atomic.Int64
			b.SetParallelism(8) // many requests at once, as a server sees them
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if err := login(ctx, bc.openid(n.Add(1))); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		})
	}
}

// BenchmarkVerify measures the verify path: SessionByAccessHash of one of
// 10,000 sessions.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	hashes := make([]string, 10000)
	now := time.Now()
	for i := range hashes {
		hashes[i] = miniauth.HashToken(miniauth.NewID())
		s := &miniauth.Session{ID: miniauth.NewID(), UserID: "u", AppID: "a", OpenID: "o", SessionKey: "k",
			AccessHash: hashes[i], RefreshHash: miniauth.HashToken(miniauth.NewID()),
			CreatedAt: now, LastUsedAt: now, AccessExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(time.Hour)}
		if err := db.CreateSession(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.SessionByAccessHash(ctx, hashes[n.Add(1)%int64(len(hashes))]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchIdentity(openid string) miniauth.Identity {
	return miniauth.Identity{Platform: miniauth.PlatformWeixin, AppID: "wxbench", OpenID: openid}
}

// The indexes on phone, nickname and unionid leave ” out (a first login
// then writes none of them); the console's searches name "<> ”" so that
// SQLite still uses them. The queries are the shapes sqlstore sends.
func TestSearchesUseThePartialIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for query, index := range map[string]string{
		`SELECT id FROM users WHERE phone = ? AND phone <> ''`:                                          "users_phone",
		`SELECT 1 FROM users WHERE nickname >= ? AND nickname < ? AND nickname <> ''`:                   "users_nickname",
		`SELECT user_id FROM identities WHERE platform = ? AND unionid = ? AND unionid <> '' LIMIT 1`:   "identities_union",
		`SELECT 1 FROM identities WHERE platform = ? AND unionid = ? AND unionid <> '' AND user_id = ?`: "identities_union",
	} {
		var plan string
		rows, err := raw.Query("EXPLAIN QUERY PLAN "+query, "x", "y", "z")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan += detail + "; "
		}
		rows.Close()
		if !strings.Contains(plan, "INDEX "+index+" ") {
			t.Errorf("%s: plan %q, want %s", query, plan, index)
		}
	}
	var partial int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM pragma_index_list('users') WHERE name IN ('users_phone', 'users_nickname') AND partial`).Scan(&partial); err != nil || partial != 2 {
		t.Fatalf("partial indexes on users: %d, %v", partial, err)
	}
}
