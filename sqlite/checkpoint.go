package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
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
type checkpointer struct {
	db    *sql.DB
	every time.Duration
	stop  chan struct{}
	done  sync.WaitGroup
}

func startCheckpointer(db *sql.DB, every time.Duration) *checkpointer {
	c := &checkpointer{db: db, every: every, stop: make(chan struct{})}
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
			// An error (the file busy past busy_timeout, a full disk) leaves
			// the log as it is; the next tick tries again, and SQLite reads
			// a long log correctly, only more slowly.
			c.checkpoint()
		}
	}
}

// checkpoint runs one PASSIVE checkpoint: as much of the log as no reader
// still needs goes into the file.
func (c *checkpointer) checkpoint() error {
	// Copying a long log into a large file takes seconds; a minute is
	// the bound past which something is wrong. An interrupted checkpoint
	// leaves the file consistent and the log whole.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	return err
}

func (c *checkpointer) close() {
	close(c.stop)
	c.done.Wait()
}
