package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testkit"
)

// A checkpoint that fails is counted each time and logged once, when the
// failures begin; the first success after them is logged too.
func TestCheckpointFailuresAreCountedAndLoggedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.db")
	good, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	if _, err := good.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	closed, _ := sql.Open("sqlite", "file:"+path)
	closed.Close() // every query on it fails
	logs := &testkit.LogBuffer{}
	reg := prometheus.NewRegistry()
	c := startCheckpointer(closed, time.Hour, slog.New(slog.NewJSONHandler(logs, nil)), reg)
	defer c.close()
	failures := func() float64 { return metricValue(t, reg, "miniauth_sqlite_checkpoint_failures_total") }
	for range 3 {
		c.tick()
	}
	if n := failures(); n != 3 {
		t.Errorf("%v failures counted, want 3", n)
	}
	if n := strings.Count(logs.String(), "checkpoints fail"); n != 1 {
		t.Errorf("%d lines about failing checkpoints:\n%s", n, logs)
	}
	c.db = good
	c.tick()
	c.tick()
	if n := failures(); n != 3 {
		t.Errorf("%v failures counted after successes, want 3", n)
	}
	if n := strings.Count(logs.String(), "checkpoints succeed again"); n != 1 || !strings.Contains(logs.String(), `"failed":3`) {
		t.Errorf("recovery logged %d times:\n%s", n, logs)
	}
}

// metricValue is the value of the registry's one counter or gauge named
// name.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	m := metric(t, reg, name)
	if m.GetCounter() != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// metric is the registry's one series named name.
func metric(t *testing.T, reg *prometheus.Registry, name string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0]
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

// A reader that holds an old snapshot keeps the frames written after it
// out of the file: the gauge shows them until the reader lets go.
func TestPendingFramesShowACheckpointHeldBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pending.db")
	reg := prometheus.NewRegistry()
	db, err := Open(ctx, path, Options{CheckpointEvery: 10 * time.Millisecond, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	reader, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var n int
	if _, err := reader.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if err := reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 50 {
		id := miniauth.Identity{Platform: "weixin", AppID: "app", OpenID: fmt.Sprintf("openid-%d", i)}
		if _, _, err := db.FindOrCreateByIdentity(ctx, id, &miniauth.User{ID: miniauth.NewID(), CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	pending := func() float64 { return metricValue(t, reg, "miniauth_sqlite_wal_pending_frames") }
	waitFor(t, "frames held back by the reader", func() bool { return pending() > 0 })
	if _, err := reader.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every frame in the file", func() bool { return pending() == 0 })
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s, still not %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
