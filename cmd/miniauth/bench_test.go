package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/loadtest"
	"github.com/miniauth/miniauth/internal/seed"
	"github.com/miniauth/miniauth/internal/testserver"
)

// benchEnviron makes the bench's children run this test binary as main.
var benchEnviron = []string{runAsMainEnv + "=1"}

// shortBench is a run brief enough for a test: the figures are noise, but
// every path runs.
var shortBench = []string{"-c", "4", "-duration", "1s", "-warmup", "100ms", "-rounds", "2", "-sessions", "20"}

// benchJSON is what --json writes, as far as the tests read it.
type benchJSON struct {
	Scenarios []loadtest.Summary `json:"scenarios"`
	Rounds    []loadtest.Result  `json:"rounds"`
	ServerRSS loadtest.RSSWindow `json:"server_rss"`
	Mixed     *loadtest.MixedRun `json:"mixed"`
	Tokens    int                `json:"tokens"`
}

func runBench(t *testing.T, args ...string) (string, benchJSON) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bench.json")
	var out, errOut bytes.Buffer
	args = append(append([]string{"bench", "--json", path}, shortBench...), args...)
	if err := run(context.Background(), args, benchEnviron, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j benchJSON
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	return out.String(), j
}

// checkScenarios asserts sane figures for the named scenarios: requests
// made, no errors, both rounds run, and the ratios and CPU per request that
// the table promises.
func checkScenarios(t *testing.T, report string, j benchJSON, names ...string) {
	t.Helper()
	got := map[string]loadtest.Summary{}
	for _, s := range j.Scenarios {
		got[s.Scenario] = s
	}
	for _, name := range names {
		s, ok := got[name]
		switch {
		case !ok:
			t.Errorf("no %s scenario in the JSON", name)
		case s.Requests == 0 || s.Errors != 0:
			t.Errorf("%s: %d requests, %d errors (%s)", name, s.Requests, s.Errors, s.FirstError)
		case s.PerSecond <= 0 || s.P50 <= 0 || s.P99 < s.P50:
			t.Errorf("%s: %.0f req/s, p50 %v, p99 %v", name, s.PerSecond, s.P50, s.P99)
		case s.RatioBare <= 0 || s.CPUMicros <= 0:
			t.Errorf("%s: ratio to bare %.2f, CPU %.1f µs per request", name, s.RatioBare, s.CPUMicros)
		case name != loadtest.ScenarioBare && s.RatioHealthz <= 0:
			t.Errorf("%s: ratio to healthz %.2f", name, s.RatioHealthz)
		}
		if !regexp.MustCompile(`(?m)^\s*` + name + `\s+\d+\s+\S+\s+\S+\s+\d+\.\d\d\s`).MatchString(report) {
			t.Errorf("the table has no row for %s:\n%s", name, report)
		}
	}
	if len(j.Rounds) != 2*len(names) {
		t.Errorf("%d results, want 2 rounds of %d scenarios", len(j.Rounds), len(names))
	}
	if j.ServerRSS.Peak <= 0 || !strings.Contains(report, "server RSS: peak") {
		t.Errorf("no server memory in the report:\n%s", report)
	}
}

// The bench starts the bare route, the simulator and a SQLite server of its
// own, runs every scenario in interleaved rounds and the mixed run, and
// reports each scenario's throughput, latency, ratios and CPU per request.
func TestBenchOwnServer(t *testing.T) {
	report, j := runBench(t, "--mixed", "400")
	checkScenarios(t, report, j, loadtest.Scenarios...)
	m := j.Mixed
	if m == nil || m.Requests != 400 || m.Errors != 0 || m.RSS.Start <= 0 || m.RSS.Peak < m.RSS.End {
		t.Errorf("mixed run: %+v", m)
	}
	if !regexp.MustCompile(`mixed run: 400 requests .* server RSS start \d+\.\d MB, peak \d+\.\d MB, end \d+\.\d MB`).MatchString(report) {
		t.Errorf("the report lacks the mixed run's memory:\n%s", report)
	}
}

// Seeded SQLite: the seeder writes users and sessions whose tokens the
// server accepts, and the bench draws from them.
func TestSeedSQLiteThenBench(t *testing.T) {
	dir := t.TempDir()
	seedData(t, dir, "--users", "5000", "--sessions", "2000")
	report, j := runBench(t, "--data", dir, "--scenarios", "bare,healthz,verify,me,login,relogin")
	if j.Tokens != 2000 {
		t.Errorf("bench used %d tokens, want the 2000 seeded", j.Tokens)
	}
	checkScenarios(t, report, j, loadtest.Scenarios...)
	if !strings.Contains(report, "2000 seeded sessions") {
		t.Errorf("the report does not say it used the seeded sessions:\n%s", report)
	}
}

// Seeded PostgreSQL (users) and Redis (sessions).
func TestSeedPostgresRedisThenBench(t *testing.T) {
	db, rd := testserver.Postgres(t), testserver.Redis(t)
	dir := t.TempDir()
	seedData(t, dir, "--users", "5000", "--sessions", "2000", "--db", db, "--redis", rd)
	// The sessions are backdated up to 2 s: the Redis instance must count
	// as seen before them, or verify would take them all for sessions
	// older than their store and ask the ledger about each.
	raw, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	m, err := seed.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var firstSeen time.Time
	if err := raw.QueryRow(`SELECT MIN(first_seen) FROM redis_instances`).Scan(&firstSeen); err != nil {
		t.Fatalf("the seed recorded no Redis instance: %v", err)
	}
	if earliest := m.ExpiresAt.Add(-seed.DefaultSessionTTL - 2*time.Second); !firstSeen.Before(earliest) {
		t.Errorf("Redis first seen at %v, not before the earliest session (%v)", firstSeen, earliest)
	}
	report, j := runBench(t, "--data", dir, "--scenarios", "bare,healthz,verify,me,login,relogin")
	checkScenarios(t, report, j, loadtest.Scenarios...)
}

func seedData(t *testing.T, dir string, args ...string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"seed", "--data", dir, "--batch", "1500"}, args...), nil, &out, &errOut); err != nil {
		t.Fatalf("seed: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !regexp.MustCompile(`users: 5000 in .*sessions: 2000 in `).MatchString(out.String()) {
		t.Errorf("seed output:\n%s", out.String())
	}
	m, err := seed.ReadManifest(dir)
	if err != nil || m.Users != 5000 || m.Sessions != 2000 {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	if err := run(context.Background(), []string{"seed", "--data", dir}, nil, &out, &errOut); err == nil {
		t.Error("seeding a directory twice must be refused")
	}
}

// The load command against a dev-mode node already running: the simulator
// is the node's own, and without --pid there is no CPU figure.
func TestBenchCommandAgainstRunningNode(t *testing.T) {
	n := startTestNode(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"bench", "--url", n.URL}, shortBench...), benchEnviron, &out, &errOut)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	report := out.String()
	for _, name := range []string{"healthz", "verify", "me", "login"} {
		if !regexp.MustCompile(`(?m)^\s*` + name + `\s+\d+\s+\S+\s+\S+\s+\d+\.\d\d\s+\d+\.\d\d\s+-\s+0\s*$`).MatchString(report) {
			t.Errorf("no row for %s with ratios, no CPU and no errors:\n%s", name, report)
		}
	}
	if strings.Contains(report, "first error") {
		t.Errorf("errors during the run:\n%s", report)
	}
	var bad bytes.Buffer
	if err := run(context.Background(), []string{"bench", "--scenarios", "nope"}, nil, &out, &bad); err == nil {
		t.Error("an unknown scenario must be refused")
	}
}

// --profile starts the server with its debug listener and writes a CPU
// profile of the server over each measured span of its scenarios; the bare
// route, another process, gets none.
func TestBenchProfilesTheServer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profiles")
	report, j := runBench(t, "--scenarios", "bare,healthz", "--profile", dir)
	checkScenarios(t, report, j, "bare", "healthz")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
			t.Errorf("%s is not a gzipped profile (%v)", e.Name(), err)
		}
	}
	if strings.Join(names, " ") != "healthz-1.pprof healthz-2.pprof" {
		t.Errorf("profiles written: %v", names)
	}
	var out, bad bytes.Buffer
	err = run(context.Background(), []string{"bench", "--url", "http://127.0.0.1:1", "--profile", dir}, nil, &out, &bad)
	if err == nil || !strings.Contains(bad.String(), "--debug-url") {
		t.Errorf("--profile with --url and no --debug-url: %v, %q", err, bad.String())
	}
}
