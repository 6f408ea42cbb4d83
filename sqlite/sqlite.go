// Package sqlite is the embedded store: users and sessions in one SQLite
// file, with modernc.org/sqlite (pure Go, no cgo).
//
// The file runs in WAL mode with synchronous=NORMAL: readers never block the
// writer, and a commit does not wait for the disk (a power cut may lose the
// last commits, never corrupt the file). Writes go through ONE connection
// whose transactions BEGIN IMMEDIATE, so writers queue in Go instead of
// fighting over SQLite's lock; reads use a pool of read-only connections,
// and a third kind copies the WAL into the file (checkpoint.go).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes Open. The zero value is usable.
type Options struct {
	// BusyTimeout is how long a statement waits for a lock held by another
	// process before it fails with EUpstreamUnavailable. Default 5s.
	BusyTimeout time.Duration
	// ReadConns is the size of the read pool. Default 2 × GOMAXPROCS, at
	// least 4.
	ReadConns int
	// Now is the store's clock. Default time.Now.
	Now func() time.Time
	// WriteBatch is how many callers' write transactions may commit as
	// one (SQLite has one writer, and a commit costs a system call per
	// page it changed). Default DefaultWriteBatch; 1 commits each alone.
	WriteBatch int
	// WriteDelay is how long a batch of more than one write (there are
	// concurrent writers) waits for more before it commits: most of a
	// commit's cost is per batch, the last page of every table and index
	// that grows at its end. 0 commits at once, the default: the wait
	// pays only where writers keep arriving while a batch waits (a few
	// thousand first logins a second: 1 ms made seven logins a commit
	// instead of five and cost each about 5 % less CPU); with a handful
	// of writers each waits for nothing (8 clients: 30 % fewer logins a
	// second with 1 ms). PostgreSQL's commit_delay is off by default for
	// the same reason.
	WriteDelay time.Duration
	// CheckpointEvery is how often the write-ahead log is copied back into
	// the database file, in the background. Default DefaultCheckpointEvery.
	CheckpointEvery time.Duration
	// RefreshTTL is how long a session lives without a refresh: a
	// last-use time older than that belongs to no live session and is
	// purged. Default miniauth.DefaultRefreshTTL.
	RefreshTTL time.Duration
	// Logger gets the background checkpoints' failures. Default: discarded.
	Logger *slog.Logger
	// Registerer gets the checkpoints' and the group commit's metrics;
	// nil: not registered.
	Registerer prometheus.Registerer
}

// DefaultWriteBatch is Options.WriteBatch's default.
const DefaultWriteBatch = 32

func (o *Options) setDefaults() {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns <= 0 {
		o.ReadConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if o.WriteBatch <= 0 {
		o.WriteBatch = DefaultWriteBatch
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = DefaultCheckpointEvery
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = miniauth.DefaultRefreshTTL
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// DB is an open SQLite database. It is both the user and the session store.
type DB struct {
	*sqlstore.Store
	w, r *sql.DB
	// cp and its connection, ckpt, are nil for ":memory:".
	cp   *checkpointer
	ckpt *sql.DB
	lu   *lastUse // the sessions' last use, in a file of its own
}

var (
	_ miniauth.UserStore    = (*DB)(nil)
	_ miniauth.SessionStore = (*DB)(nil)
)

// Open opens (creating it if needed) the database file at path and applies
// the migrations it lacks. path may also be a "sqlite://" URL as in
// MINIAUTH_DB_URL (sqlite:///abs/file.db). ":memory:" is a private
// in-memory database on a single connection, for tests.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	opts.setDefaults()
	path = strings.TrimPrefix(path, "sqlite://")
	if path == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "sqlite: empty database path")
	}
	if strings.Contains(path, "?") {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "sqlite: the database path may not contain '?'")
	}
	busy := fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds())
	db := &DB{}
	var err error
	if path == ":memory:" {
		// One connection holds the whole database: it must never be closed
		// while the DB is open, and reads share it.
		db.w, err = oneConn(path, url.Values{"_pragma": {busy, "foreign_keys(1)"}, "_txlock": {"immediate"}})
		db.r = db.w
	} else {
		err = db.openPools(path, busy, opts.ReadConns)
	}
	if err != nil {
		db.closePools()
		return nil, wrapOpen(err)
	}
	if err := db.open(ctx, opts); err != nil {
		db.closePools()
		return nil, err
	}
	if db.lu, err = openLastUse(ctx, path, busy, opts.ReadConns, opts.RefreshTTL); err != nil {
		db.Store.Close()
		db.closePools()
		return nil, wrapOpen(err)
	}
	if db.ckpt != nil {
		db.cp = startCheckpointer(db.ckpt, opts.CheckpointEvery, opts.Logger, opts.Registerer)
	}
	return db, nil
}

// openPools opens the file's three pools: the one writer, the readers and
// the checkpointer's connection.
func (db *DB) openPools(path, busy string, readConns int) error {
	var err error
	db.w, err = oneConn(path, url.Values{
		// The writer never checkpoints: the checkpointer does, in the
		// background (see checkpointer).
		// A batch that runs again after a failure puts each write in a
		// savepoint (see WriteBatch), whose journal stays in memory.
		"_pragma": {busy, "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)",
			"wal_autocheckpoint(0)", "temp_store(MEMORY)"},
		"_txlock": {"immediate"},
	})
	if err != nil {
		return err
	}
	db.r, err = sql.Open("sqlite", dsn(path, url.Values{
		"_pragma": {busy, "synchronous(NORMAL)", "foreign_keys(1)", "query_only(1)"},
	}))
	if err != nil {
		return err
	}
	db.r.SetMaxOpenConns(readConns)
	db.r.SetMaxIdleConns(readConns)
	db.ckpt, err = oneConn(path, url.Values{"_pragma": {busy, "synchronous(NORMAL)"}})
	return err
}

// oneConn is a pool of one connection that stays open.
func oneConn(path string, q url.Values) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, q))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

func (db *DB) open(ctx context.Context, opts Options) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	if _, err := sqlstore.Migrate(ctx, db.w, &dialect, sub); err != nil {
		return wrapOpen(err)
	}
	db.Store, err = sqlstore.New(ctx, &dialect, db.w, db.r, sqlstore.Options{Now: opts.Now, WriteBatch: opts.WriteBatch,
		WriteDelay: opts.WriteDelay, Batched: commitWrites(opts.Registerer)})
	return err
}

func dsn(path string, q url.Values) string { return path + "?" + q.Encode() }

func wrapOpen(err error) error {
	if dialect.Classify(err) == sqlstore.ClassUnavailable {
		return miniauth.WrapError(miniauth.EUpstreamUnavailable, "the database is unavailable", fmt.Errorf("sqlite: open: %w", err))
	}
	return miniauth.WrapError(miniauth.EInternal, "cannot open the database", fmt.Errorf("sqlite: open: %w", err))
}

// SigningKeys returns the store of the keys that sign JWT access tokens.
func (db *DB) SigningKeys() miniauth.SigningKeyStore { return db.Store }

// Close closes the database.
func (db *DB) Close() error {
	if db.cp != nil {
		db.cp.close()
	}
	db.Store.Close()
	err := db.lu.close()
	return errors.Join(err, db.closePools())
}

func (db *DB) closePools() error {
	var errs []error
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.Close())
	}
	if db.r != nil && db.r != db.w {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

// dialect is SQLite's: ? placeholders, ON CONFLICT, times as Unix
// milliseconds, no FOR UPDATE (a write transaction holds the database), and
// no separate migration lock (BEGIN IMMEDIATE is one).
var dialect = sqlstore.Dialect{
	Name:         "sqlite",
	OneWriter:    true,
	InsertIgnore: "ON CONFLICT DO NOTHING",
	AddLoginDaily: "ON CONFLICT (day, app_id, platform, kind, result) DO UPDATE SET " +
		"events = login_daily.events + excluded.events, new_users = login_daily.new_users + excluded.new_users",
	Time:             func(t time.Time) any { return t.UnixMilli() },
	NotIndexedColumn: func(col string) string { return "+" + col },
	Classify:         classify,
}

// classify looks at SQLite's result code (its number; extended codes carry
// the primary one in the low byte).
func classify(err error) sqlstore.ErrorClass {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return sqlstore.ClassOther
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.ClassUnique
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		// Another process held the lock past busy_timeout: overloaded,
		// try again later.
		return sqlstore.ClassUnavailable
	}
	return sqlstore.ClassOther
}

// Operators returns the store of the console's operators and audit log.
func (db *DB) Operators() miniauth.OperatorStore { return db.Store }

// Directory returns the console's user search and counts.
func (db *DB) Directory() miniauth.UserDirectory { return db.Store }

// LiveSessions counts the live sessions kept in the database.
func (db *DB) LiveSessions() miniauth.LiveSessionCounter { return db.Store }
