package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultCheckpointEvery is Options.CheckpointEvery's default.
const DefaultCheckpointEvery = time.Second

// checkpointer copies the write-ahead log back into the database file from a
// connection of its own, so that no commit waits for it.
//
// Left to SQLite, the commit that fills the log past wal_autocheckpoint runs
// the checkpoint itself, while it holds the only write lock: every page the
// log holds is written into the file and the file is synced. In a file of
// ten million users those pages are scattered, the checkpoint took seconds,
// and writes queued behind it failed their deadline. A PASSIVE checkpoint on
// another connection takes no write lock: commits go on appending to the log
// while it runs, and the log restarts from its beginning once a checkpoint
// has caught up with it.
//
// Nothing waits for a checkpoint, so nothing would notice one failing (a
// full disk) or falling behind (a reader holding an old snapshot): the log
// would only grow. Both show on /metrics, and a failure is logged when it
// begins and when checkpoints succeed again.
type checkpointer struct {
	db    *sql.DB
	every time.Duration
	log   *slog.Logger
	stop  chan struct{}
	done  sync.WaitGroup

	failures atomic.Int64 // checkpoints that failed, ever
	pending  atomic.Int64 // frames of the log not in the file after the last checkpoint
	failing  int          // consecutive failures; only run touches it
}

func startCheckpointer(db *sql.DB, every time.Duration, log *slog.Logger, reg prometheus.Registerer) *checkpointer {
	c := &checkpointer{db: db, every: every, log: log, stop: make(chan struct{})}
	if reg != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "miniauth_sqlite_checkpoint_failures_total",
				Help: "Background checkpoints of SQLite's write-ahead log that failed.",
			}, func() float64 { return float64(c.failures.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "miniauth_sqlite_wal_pending_frames",
				Help: "Pages of SQLite's write-ahead log not yet copied into the database file by the last checkpoint.",
			}, func() float64 { return float64(c.pending.Load()) }),
		)
	}
	c.done.Add(1)
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer c.done.Done()
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.tick()
		}
	}
}

// tick runs a checkpoint and records how it went. A failure (the file busy
// past busy_timeout, a full disk) leaves the log as it is; the next tick
// tries again, and SQLite reads a long log correctly, only more slowly.
func (c *checkpointer) tick() {
	pending, err := c.checkpoint()
	if err != nil {
		c.failures.Add(1)
		if c.failing++; c.failing == 1 {
			c.log.Error("sqlite: background checkpoints fail; the write-ahead log grows until one succeeds", "err", err)
		}
		return
	}
	c.pending.Store(pending)
	if c.failing > 0 {
		c.log.Info("sqlite: background checkpoints succeed again", "failed", c.failing, "pending_frames", pending)
		c.failing = 0
	}
}

// checkpoint runs one PASSIVE checkpoint: as much of the log as no reader
// still needs goes into the file. It answers how many frames of the log
// are still not in the file.
func (c *checkpointer) checkpoint() (pending int64, err error) {
	// Copying a long log into a large file takes seconds; a minute is
	// the bound past which something is wrong. An interrupted checkpoint
	// leaves the file consistent and the log whole.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var busy, frames, copied int64
	err = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	return max(0, frames-copied), err
}

func (c *checkpointer) close() {
	close(c.stop)
	c.done.Wait()
}
