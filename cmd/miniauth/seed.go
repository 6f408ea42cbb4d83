package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "directory for the seeded data: the SQLite file (by default), the tokens and seed.json (required)")
	db := fs.String("db", "", "database URL (postgres://..., mysql://...); default SQLite in --data")
	redisURL := fs.String("redis", "", "Redis URL: sessions go there instead of the database")
	o := seed.Options{AppID: wxsim.DevAppID}
	fs.IntVar(&o.Users, "users", 10_000_000, "users to create")
	fs.IntVar(&o.Sessions, "sessions", 1_000_000, "live sessions to create, spread over the first users")
	fs.IntVar(&o.Events, "events", 0, "login events to create over the users, with their daily aggregates")
	fs.IntVar(&o.EventDays, "event-days", seed.DefaultEventDays, "days the events span, ending now")
	fs.IntVar(&o.Batch, "batch", seed.DefaultBatch, "rows per transaction")
	if err := fs.Parse(args); err != nil || *dir == "" {
		if err == nil {
			fmt.Fprintln(stderr, "seed: --data DIR is required")
		}
		return errUsage
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*dir, seed.ManifestFile)); err == nil {
		return fmt.Errorf("%s already holds seeded data; pick another directory", *dir)
	}

	cfg := config.Default()
	cfg.Data.Dir, cfg.DB.URL = *dir, *db
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	database, kind, err := openDatabase(ctx, cfg, logger)
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
	if *redisURL != "" {
		// The sessions are backdated: record the instance as seen before
		// the first of them, as the server that had made them would have,
		// or every verify of one would consult the ledger as for a session
		// older than the Redis it is in.
		firstSeen := o.FirstSessionAt().Add(-time.Minute)
		seen := func(ctx context.Context, runID string) error {
			_, err := database.Ledger().InstanceFirstSeen(ctx, runID, firstSeen)
			return err
		}
		rc, err := redis.Open(ctx, *redisURL, redis.Options{Logger: logger, InstanceSeen: seen})
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		defer rc.Close()
		o.SessionStore = seed.Concurrent(rc.Sessions(), seed.DefaultCreateWorkers)
	}
	tokens, err := os.Create(filepath.Join(*dir, seed.TokensFile))
	if err != nil {
		return err
	}
	defer tokens.Close()
	o.Tokens = tokens
	o.Progress = progressPrinter(stdout)

	fmt.Fprintf(stdout, "seeding %d users, %d sessions and %d login events into %s (sessions: %s)\n",
		o.Users, o.Sessions, o.Events, kind, orDefault(*redisURL, "the database"))
	report, err := seed.Run(ctx, o)
	if err != nil {
		return err
	}
	if err := tokens.Close(); err != nil {
		return err
	}
	total := report.UsersTime + report.SessionsTime + report.EventsTime
	fmt.Fprintf(stdout, "users: %d in %v (%.0f/s); sessions: %d in %v (%.0f/s); events: %d in %v (%.0f/s); total %v\n",
		report.Users, report.UsersTime.Round(time.Second/10), perSecond(report.Users, report.UsersTime),
		report.Sessions, report.SessionsTime.Round(time.Second/10), perSecond(report.Sessions, report.SessionsTime),
		report.Events, report.EventsTime.Round(time.Second/10), perSecond(report.Events, report.EventsTime),
		total.Round(time.Second/10))
	return seed.WriteManifest(*dir, seed.Manifest{
		DB: cfg.DatabaseURL(), Redis: *redisURL, AppID: o.AppID, Users: report.Users, Sessions: report.Sessions, Events: report.Events,
		ExpiresAt: o.Now.Add(seed.DefaultSessionTTL), Seconds: total.Seconds(),
	})
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
