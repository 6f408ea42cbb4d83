package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/miniauth/miniauth"
)

// Changes tells a node whose sessions live in this file when another process
// (a second node on the same file, a miniauth command) has written to it, so
// that the node's caches need not expire their entries after a short TTL
// just in case. It is miniauth.CompleteEvents: SQLite counts, per connection,
// the commits of every other connection (PRAGMA data_version), and nothing
// reaches the file except by a commit. The count is read on the writer's
// connection, whose own commits (this process's writes) it leaves alone; the
// checkpointer's copies of the WAL commit nothing.
type Changes struct {
	w       *sql.DB
	every   time.Duration
	timeout time.Duration
	log     *slog.Logger

	// What the last poll read, on which connection: a count only means
	// something against the same connection's earlier count.
	conn    any
	version int64
	known   bool
}

var _ miniauth.CompleteEvents = (*Changes)(nil)

// Changes returns the watch of the file for other processes' writes, read
// every interval (at least a millisecond): a write is seen at most that
// long after its commit, scheduling delays apart. A look that takes longer
// than the interval (the writer's connection busy, say waiting for another
// process's lock) counts as failed, so that the bound holds then too.
func (db *DB) Changes(every time.Duration, logger *slog.Logger) *Changes {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	every = max(every, time.Millisecond)
	return &Changes{w: db.w, every: every, timeout: every, log: logger}
}

// PublishSessionChanged does nothing: this node's caches have dropped the
// sessions already, and every other process sees the commit itself.
func (c *Changes) PublishSessionChanged(context.Context, ...string) error { return nil }

// SeesEveryChange marks Changes as miniauth.CompleteEvents.
func (c *Changes) SeesEveryChange() {}

// SubscribeSessionChanged calls reset at once and then whenever another
// process wrote since the previous look, or the look failed, until ctx
// ends. It never names single sessions: data_version says only that
// something changed.
func (c *Changes) SubscribeSessionChanged(ctx context.Context, _ func(sessionID string), reset func()) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		if c.poll(ctx) {
			reset()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll reports whether the file may have changed under this process since
// the previous poll: another process committed, the writer's connection is
// a new one, or the count could not be read (then the next poll reports a
// change too, whatever it reads).
func (c *Changes) poll(ctx context.Context) bool {
	conn, version, err := c.read(ctx)
	if err != nil {
		if c.known && ctx.Err() == nil {
			c.log.Warn("cannot tell whether other processes wrote to the database; the caches are emptied until it can", "err", err)
		}
		c.known = false
		return true
	}
	if !c.known {
		c.log.Debug("watching the database for other processes' writes")
	}
	changed := !c.known || conn != c.conn || version != c.version
	c.conn, c.version, c.known = conn, version, true
	return changed
}

// read returns the writer's connection and its count of other connections'
// commits.
func (c *Changes) read(ctx context.Context) (conn any, version int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	sc, err := c.w.Conn(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer sc.Close()
	if err := sc.Raw(func(dc any) error { conn = dc; return nil }); err != nil {
		return nil, 0, err
	}
	err = sc.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version)
	return conn, version, err
}
