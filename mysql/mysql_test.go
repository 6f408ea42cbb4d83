package mysql_test

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
)

func TestMain(m *testing.M) { testserver.Main(m) }

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	url := testserver.MySQL(t)
	const n = 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	dbs := make([]*mysql.DB, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = mysql.Open(context.Background(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	raw, err := sql.Open("mysql", dsn(t, url))
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
}

// TestOutage stops the server under an open store: calls fail with
// EUpstreamUnavailable (503, never 500), and the store recovers by itself
// when the server is back.
func TestOutage(t *testing.T) {
	t.Parallel()
	srv := testserver.NewMySQL(t)
	ctx := context.Background()
	db, err := mysql.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	u := &miniauth.User{ID: miniauth.NewID(), AppID: "a", OpenID: "o", CreatedAt: now, UpdatedAt: now}
	if _, _, err := db.FindOrCreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	calls := map[string]func(ctx context.Context) error{
		"UserByID":            func(ctx context.Context) error { _, err := db.UserByID(ctx, u.ID); return err },
		"FindOrCreateUser":    func(ctx context.Context) error { _, _, err := db.FindOrCreateUser(ctx, u); return err },
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
	if _, created, err := db.FindOrCreateUser(ctx, u); err != nil || created {
		t.Fatalf("after recovery: created %v, %v", created, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens there.
	_, err := mysql.Open(ctx, "mysql://u:secretpw@127.0.0.1:1/db")
	if code := miniauth.ErrorCode(err); code != miniauth.EUpstreamUnavailable {
		t.Fatalf("code %q (%v), want %q", code, err, miniauth.EUpstreamUnavailable)
	}
	if err != nil && strings.Contains(err.Error(), "secretpw") {
		t.Fatalf("the error shows the password: %v", err)
	}
}

func dsn(t *testing.T, url string) string {
	cfg, err := mysql.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.FormatDSN()
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in                   string
		user, pass, addr, db string
		param                string // a driver parameter that must come through
		err                  bool
	}{
		{in: "mysql://u:p@127.0.0.1:3307/miniauth", user: "u", pass: "p", addr: "127.0.0.1:3307", db: "miniauth"},
		{in: "mysql://u:p%40ss@db.example:3306/m", user: "u", pass: "p@ss", addr: "db.example:3306", db: "m"},
		{in: "mysql://u@localhost/m", user: "u", addr: "localhost:3306", db: "m"},
		{in: "mysql://u:p@h:1/m?tls=skip-verify", user: "u", pass: "p", addr: "h:1", db: "m", param: "tls"},
		{in: "u:p@tcp(h:2)/m", user: "u", pass: "p", addr: "h:2", db: "m"},
		{in: "mysql://u:p@h:1/", err: true},
		{in: "mysql://", err: true},
	} {
		cfg, err := mysql.ParseURL(tc.in)
		if tc.err {
			if miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
				t.Errorf("%s: %v, want invalid_request", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if cfg.User != tc.user || cfg.Passwd != tc.pass || cfg.Addr != tc.addr || cfg.DBName != tc.db {
			t.Errorf("%s: user %q pass %q addr %q db %q", tc.in, cfg.User, cfg.Passwd, cfg.Addr, cfg.DBName)
		}
		if !cfg.ParseTime || cfg.Loc != time.UTC || !strings.HasPrefix(cfg.Collation, "utf8mb4") {
			t.Errorf("%s: parseTime %v loc %v collation %q", tc.in, cfg.ParseTime, cfg.Loc, cfg.Collation)
		}
		if tc.param == "tls" && cfg.TLSConfig == "" && cfg.TLS == nil {
			t.Errorf("%s: tls parameter lost", tc.in)
		}
	}
}
