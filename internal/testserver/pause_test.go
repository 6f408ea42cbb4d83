package testserver_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testserver"
)

// A paused PostgreSQL answers nothing, on new connections and on the open
// ones (its backends are paused too), and answers again once resumed.
func TestPostgresPauseResume(t *testing.T) {
	t.Parallel()
	s := testserver.NewPostgres(t)
	db, err := sql.Open("pgx", s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the one connection, open before the pause
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = db.QueryRowContext(ctx, "SELECT 1").Scan(new(int))
	cancel()
	if err == nil {
		t.Fatal("an open connection answered while paused")
	}
	if err := ping(t, "pgx", s.URL); err == nil {
		t.Fatal("a new connection answered while paused")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := ping(t, "pgx", s.URL); err != nil {
		t.Fatalf("after Resume: %v", err)
	}
}

// A paused server can still be stopped, and started again.
func TestRedisStopWhilePaused(t *testing.T) {
	t.Parallel()
	s := testserver.NewRedis(t)
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := redisPing(s.URL); err == nil {
		t.Fatal("PING answered while paused")
	}
	s.Stop()
	if err := s.Resume(); err == nil {
		t.Fatal("Resume of a stopped server did not fail")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := redisPing(s.URL); err != nil {
		t.Fatalf("after Start: %v", err)
	}
}
