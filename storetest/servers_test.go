package storetest_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/mysql"
	"github.com/miniauth/miniauth/postgres"
)

// sqlServer is a database that runs as a server: what its Open and its
// raw connection need, and an address where nothing answers.
type sqlServer struct {
	name        string
	sharedURL   func(testing.TB) string             // a fresh database on a shared server
	dedicated   func(testing.TB) *testserver.Server // a server the test may stop
	open        func(ctx context.Context, url string) (sqlDB, error)
	raw         func(t *testing.T, url string) *sql.DB
	unreachable string
}

// sqlDB is what postgres.DB and mysql.DB share.
type sqlDB interface {
	miniauth.UserStore
	miniauth.SessionStore
	Close() error
}

var sqlServers = []sqlServer{
	{
		name:      "postgres",
		sharedURL: testserver.Postgres,
		dedicated: testserver.NewPostgres,
		open: func(ctx context.Context, url string) (sqlDB, error) {
			db, err := postgres.Open(ctx, url)
			if err != nil {
				return nil, err
			}
			return db, nil
		},
		raw: func(t *testing.T, url string) *sql.DB {
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			return db
		},
		unreachable: "postgres://u:secretpw@127.0.0.1:1/db?sslmode=disable", // nothing listens on port 1
	},
	{
		name:      "mysql",
		sharedURL: testserver.MySQL,
		dedicated: testserver.NewMySQL,
		open: func(ctx context.Context, url string) (sqlDB, error) {
			db, err := mysql.Open(ctx, url)
			if err != nil {
				return nil, err
			}
			return db, nil
		},
		raw: func(t *testing.T, url string) *sql.DB {
			cfg, err := mysql.ParseURL(url)
			if err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("mysql", cfg.FormatDSN())
			if err != nil {
				t.Fatal(err)
			}
			return db
		},
		unreachable: "mysql://u:secretpw@127.0.0.1:1/db",
	},
}

// Several nodes starting at once on a fresh database: every Open succeeds
// and each migration is applied once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	for _, s := range sqlServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			url := s.sharedURL(t)
			const n = 5
			var wg sync.WaitGroup
			errs := make([]error, n)
			dbs := make([]sqlDB, n)
			for i := range n {
				wg.Go(func() { dbs[i], errs[i] = s.open(context.Background(), url) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("open %d: %v", i, err)
				}
				defer dbs[i].Close()
			}
			raw := s.raw(t, url)
			defer raw.Close()
			var rows, distinct int
			if err := raw.QueryRow("SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations").Scan(&rows, &distinct); err != nil {
				t.Fatal(err)
			}
			if rows == 0 || rows != distinct {
				t.Fatalf("schema_migrations has %d rows for %d versions", rows, distinct)
			}
		})
	}
}

// The server stops under an open store: calls fail with
// EUpstreamUnavailable (503, never 500), and the store recovers by itself
// when the server is back.
func TestOutage(t *testing.T) {
	for _, s := range sqlServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.dedicated(t)
			ctx := context.Background()
			db, err := s.open(ctx, srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			now := time.Now()
			u := &miniauth.User{ID: miniauth.NewID(), AppID: "a", OpenID: "o", CreatedAt: now, UpdatedAt: now}
			if _, _, err := db.FindOrCreateByIdentity(ctx, identityOf(u), u); err != nil {
				t.Fatal(err)
			}

			srv.Stop()
			calls := map[string]func(ctx context.Context) error{
				"UserByID":     func(ctx context.Context) error { _, err := db.UserByID(ctx, u.ID); return err },
				"UserDisabled": func(ctx context.Context) error { _, err := db.UserDisabled(ctx, u.ID); return err },
				"FindOrCreateByIdentity": func(ctx context.Context) error {
					_, _, err := db.FindOrCreateByIdentity(ctx, identityOf(u), u)
					return err
				},
				"SessionByAccessHash": func(ctx context.Context) error { _, err := db.SessionByAccessHash(ctx, "h"); return err },
				"RotateRefresh": func(ctx context.Context) error {
					_, err := db.RotateRefresh(ctx, "h", miniauth.Rotation{AccessHash: "a", RefreshHash: "r", At: now})
					return err
				},
				"Ping": db.Ping,
			}
			for name, call := range calls {
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := call(cctx)
				cancel()
				if code := miniauth.ErrorCode(err); code != miniauth.EUpstreamUnavailable {
					t.Errorf("%s with the server down: code %q (%v), want %q", name, code, err, miniauth.EUpstreamUnavailable)
				}
			}

			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(15 * time.Second)
			for {
				_, err := db.UserByID(ctx, u.ID)
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the store did not recover after the server came back: %v", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if _, created, err := db.FindOrCreateByIdentity(ctx, identityOf(u), u); err != nil || created {
				t.Fatalf("after recovery: created %v, %v", created, err)
			}
		})
	}
}

// An unreachable server is upstream_unavailable at Open, and the error does
// not show the password.
func TestOpenUnreachable(t *testing.T) {
	for _, s := range sqlServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := s.open(ctx, s.unreachable)
			if code := miniauth.ErrorCode(err); code != miniauth.EUpstreamUnavailable {
				t.Fatalf("code %q (%v), want %q", code, err, miniauth.EUpstreamUnavailable)
			}
			if err != nil && strings.Contains(err.Error(), "secretpw") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// identityOf is u's WeChat identity.
func identityOf(u *miniauth.User) miniauth.Identity {
	return miniauth.Identity{Platform: miniauth.PlatformWeixin, AppID: u.AppID, OpenID: u.OpenID}
}
