package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/miniauth/miniauth"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/internal/seed"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/wxsim"
)

// seedCommand fills a database with users, live sessions and login events
// for the benches (hidden: a tool for measuring, not for running the service).
// seedFlags are seed's flags that are not seed.Options.
type seedFlags struct{ dir, db, redis string }

func parseSeedFlags(args []string, stderr io.Writer) (seed.Options, seedFlags, error) {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f seedFlags
	fs.StringVar(&f.dir, "data", "", "directory for the seeded data: the SQLite file (by default), the tokens and seed.json (required)")
	fs.StringVar(&f.db, "db", "", "database URL (postgres://..., mysql://...); default SQLite in --data")
	fs.StringVar(&f.redis, "redis", "", "Redis URL: sessions go there instead of the database")
	o := seed.Options{AppID: wxsim.DevAppID}
	fs.IntVar(&o.Users, "users", 10_000_000, "users to create")
	fs.IntVar(&o.Sessions, "sessions", 1_000_000, "live sessions to create, spread over the first users")
	fs.IntVar(&o.Events, "events", 0, "login events to create over the users, with their daily aggregates")
	fs.IntVar(&o.EventDays, "event-days", seed.DefaultEventDays, "days the events span, ending now")
	fs.IntVar(&o.Batch, "batch", seed.DefaultBatch, "rows per transaction")
	if err := fs.Parse(args); err != nil || f.dir == "" {
		if err == nil {
			fmt.Fprintln(stderr, "seed: --data DIR is required")
		}
		return o, f, errUsage
	}
	return o, f, nil
}

func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, f, err := parseSeedFlags(args, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(f.dir, seed.ManifestFile)); err == nil {
		return fmt.Errorf("%s already holds seeded data; pick another directory", f.dir)
	}

	cfg := config.Default()
	cfg.Data.Dir, cfg.DB.URL = f.dir, f.db
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	database, kind, err := openDatabase(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer database.Close()
	users, ok := database.(seed.UserInserter)
	if !ok {
		return errors.New("seed: this database cannot insert in batches")
	}
	o.UserStore = users
	o.SessionStore, _ = database.(seed.SessionInserter)
	o.EventStore = database.LoginEvents()
	o.Now = time.Now()
	if f.redis != "" {
		rc, err := openSeedRedis(ctx, f.redis, database, o.FirstSessionAt(), logger)
		if err != nil {
			return err
		}
		defer rc.Close()
		o.SessionStore = seed.Concurrent(rc.Sessions(), seed.DefaultCreateWorkers)
	}
	tokens, err := os.Create(filepath.Join(f.dir, seed.TokensFile))
	if err != nil {
		return err
	}
	defer tokens.Close()
	o.Tokens = tokens
	// The tokens are sealed with a key kept beside them, which the bench
	// hands its server (the file dev mode would make).
	kek, err := devKeyEncryptionKey(filepath.Join(f.dir, devKeyEncryptionKeyFile))
	if err != nil {
		return err
	}
	if o.Sealer, err = miniauth.NewTokenSealer(kek); err != nil {
		return err
	}
	o.Progress = progressPrinter(stdout)

	fmt.Fprintf(stdout, "seeding %d users, %d sessions and %d login events into %s (sessions: %s)\n",
		o.Users, o.Sessions, o.Events, kind, orDefault(f.redis, "the database"))
	report, err := seed.Run(ctx, o)
	if err != nil {
		return err
	}
	if err := tokens.Close(); err != nil {
		return err
	}
	total := printSeedReport(stdout, report)
	return seed.WriteManifest(f.dir, seed.Manifest{
		DB: cfg.DatabaseURL(), Redis: f.redis, AppID: o.AppID, Users: report.Users, Sessions: report.Sessions, Events: report.Events,
		ExpiresAt: o.Now.Add(seed.DefaultSessionTTL), Seconds: total.Seconds(),
	})
}

// openSeedRedis opens the Redis that will hold the seeded sessions. They
// are backdated: the instance is recorded as seen before the first of them,
// as the server that had made them would have, or every verify of one would
// consult the ledger as for a session older than the Redis it is in.
func openSeedRedis(ctx context.Context, url string, database database, firstSessionAt time.Time, logger *slog.Logger) (*redis.Client, error) {
	firstSeen := firstSessionAt.Add(-time.Minute)
	seen := func(ctx context.Context, runID string) error {
		_, err := database.Ledger().InstanceFirstSeen(ctx, runID, firstSeen)
		return err
	}
	rc, err := redis.Open(ctx, url, redis.Options{Logger: logger, InstanceSeen: seen})
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return rc, nil
}

// printSeedReport prints what was seeded and how fast, and answers the
// whole time taken.
func printSeedReport(w io.Writer, report seed.Report) time.Duration {
	total := report.UsersTime + report.SessionsTime + report.EventsTime
	fmt.Fprintf(w, "users: %d in %v (%.0f/s); sessions: %d in %v (%.0f/s); events: %d in %v (%.0f/s); total %v\n",
		report.Users, report.UsersTime.Round(time.Second/10), perSecond(report.Users, report.UsersTime),
		report.Sessions, report.SessionsTime.Round(time.Second/10), perSecond(report.Sessions, report.SessionsTime),
		report.Events, report.EventsTime.Round(time.Second/10), perSecond(report.Events, report.EventsTime),
		total.Round(time.Second/10))
	return total
}

// progressPrinter prints a line every 10% of each kind.
func progressPrinter(w io.Writer) func(what string, done, total int) {
	start := time.Now()
	last := map[string]int{}
	return func(what string, done, total int) {
		if tenth := done * 10 / max(total, 1); tenth > last[what] {
			last[what] = tenth
			fmt.Fprintf(w, "  %s: %d/%d (%v)\n", what, done, total, time.Since(start).Round(time.Second))
		}
	}
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
