// Package sqlstore implements miniauth.UserStore and miniauth.SessionStore
// once, over database/sql, for every SQL engine; a Dialect holds what
// differs. The sqlite, postgres and mysql packages open a database, apply
// their embedded migrations with Migrate and wrap a Store.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/miniauth/miniauth"
)

// Options tunes a Store. The zero value is usable.
type Options struct {
	// Now is the clock, for what the interfaces do not pass a time to
	// (UserSessions' "live", UpdateUser without UpdatedAt). Default time.Now.
	Now func() time.Time
	// WriteBatch, above 1, runs up to this many callers' write
	// transactions in one (see groupCommit): for SQLite's single writer.
	// 0 or 1: each caller's transaction is its own.
	WriteBatch int
	// WriteDelay is how long a batch of more than one write waits for more
	// before it commits; 0: it commits at once.
	WriteDelay time.Duration
	// Batched, when not nil, gets the size of every batch of writes run
	// (for a metric of how much the group commit gathers).
	Batched func(writes int)
}

// Store is the user and session store over one SQL database. Writes go to w;
// reads that need no transaction go to r, which may be the same pool (the
// SQLite package gives a separate read pool so that reads never queue behind
// its single writer connection).
type Store struct {
	d   *Dialect
	w   *sql.DB
	r   *sql.DB
	now func() time.Time
	// batch, when set, runs every transaction of inTx and every execW.
	batch *groupCommit

	mu    sync.Mutex
	stmts map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	db    *sql.DB
	query string
}

var (
	_ miniauth.UserStore    = (*Store)(nil)
	_ miniauth.SessionStore = (*Store)(nil)
)

// New returns a store over the write pool w and the read pool r (r may be
// w or nil) and prepares its statements. It does not apply migrations
// (Migrate does) nor close the pools.
func New(ctx context.Context, d *Dialect, w, r *sql.DB, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if r == nil {
		r = w
	}
	s := &Store{d: d, w: w, r: r, now: opts.Now, stmts: make(map[stmtKey]*sql.Stmt)}
	if err := s.prepareAll(ctx); err != nil {
		s.Close()
		return nil, s.wrap("prepare statements", err)
	}
	if opts.WriteBatch > 1 {
		for _, q := range savepointStatements {
			if _, err := s.stmt(ctx, s.w, q); err != nil {
				s.Close()
				return nil, s.wrap("prepare statements", err)
			}
		}
		s.batch = newGroupCommit(s, opts.WriteBatch, opts.WriteDelay, opts.Batched)
	}
	return s, nil
}

// prepareAll prepares every statement up front. Transactions must find
// theirs prepared: preparing takes a connection of the pool, and SQLite's
// write pool has one, which the transaction holds.
func (s *Store) prepareAll(ctx context.Context) error {
	writes := []string{qUpdateUser, qUserWithIdentities,
		qInsertSession, qRotate, qSessionByRefresh, qInsertUsed, qUsedSession, qSessionByID, qDeleteSession,
		qUserSessionIDs + s.d.ForUpdate, qDeleteExpired}
	reads := []string{qUserWithIdentities, qUserDisabled, qListUsers, qListAppUsers, qSessionByAccess, qUserSessions}
	identityWrites, identityReads := s.identityStatements()
	writes, reads = append(writes, identityWrites...), append(reads, identityReads...)
	if s.RefusesDisabledUsers() {
		writes = append(writes, s.qInsertSessionOfEnabled())
	}
	for _, q := range writes {
		if _, err := s.stmt(ctx, s.w, q); err != nil {
			return err
		}
	}
	for _, q := range reads {
		if _, err := s.stmt(ctx, s.r, q); err != nil {
			return err
		}
	}
	return nil
}

// cached returns the statement prepared for query on db, or nil.
func (s *Store) cached(db *sql.DB, query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stmts[stmtKey{db, query}]
}

// Close stops the batching of writes and closes the prepared statements.
// The caller closes the pools.
func (s *Store) Close() error {
	if s.batch != nil {
		s.batch.close()
		s.batch = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, st := range s.stmts {
		st.Close()
		delete(s.stmts, k)
	}
	return nil
}

// Ping reports whether both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return s.wrap("ping", err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return s.wrap("ping", err)
		}
	}
	return nil
}

// stmt returns query prepared on db, preparing it the first time. Prepared
// statements save the parse on every call (SQLite) and a round trip per
// call (MySQL, which would otherwise prepare and close each time);
// database/sql prepares them again on new connections by itself, so they
// survive a database restart.
func (s *Store) stmt(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	k := stmtKey{db, query}
	s.mu.Lock()
	st, ok := s.stmts[k]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, s.d.rebind(query))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.stmts[k]; ok { // another goroutine won the race
		st.Close()
		return prev, nil
	}
	s.stmts[k] = st
	return st, nil
}

// Tx is a write transaction of one public method; its helpers take it.
type Tx struct {
	s   *Store
	tx  *sql.Tx
	ctx context.Context
}

// The helpers of Tx use the statements prepared by New, bound to the
// transaction's connection (database/sql prepares them there if needed,
// without taking another connection).

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	if st := tx.s.cached(tx.s.w, query); st != nil {
		return tx.tx.StmtContext(tx.ctx, st).ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, tx.s.d.rebind(query), args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	if st := tx.s.cached(tx.s.w, query); st != nil {
		return tx.tx.StmtContext(tx.ctx, st).QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, tx.s.d.rebind(query), args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if st := tx.s.cached(tx.s.w, query); st != nil {
		return tx.tx.StmtContext(tx.ctx, st).QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, tx.s.d.rebind(query), args...)
}

// maxAttempts bounds how often a transaction that lost a deadlock or a
// serialization conflict is run again.
const maxAttempts = 3

// inTx runs fn in a write transaction, commits when it returns nil and rolls
// back otherwise. A deadlock or serialization failure runs fn again, so fn
// must have no effect outside the transaction.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *Tx) error) error {
	var err error
	for range maxAttempts {
		err = s.tryTx(ctx, fn)
		if err == nil || s.d.class(err) != ClassRetryable {
			break
		}
	}
	return s.wrap(op, err)
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *Tx) error) error {
	if s.batch != nil {
		return s.batch.do(ctx, fn)
	}
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer sqlTx.Rollback() // after Commit, a no-op
	if err := fn(&Tx{s: s, tx: sqlTx, ctx: ctx}); err != nil {
		return err
	}
	return sqlTx.Commit()
}

// queryRow runs a single-statement read on the read pool, without a
// transaction: one statement is atomic by itself, and this is the hot path.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, s.r, query)
	if err != nil {
		return s.r.QueryRowContext(ctx, s.d.rebind(query), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, s.r, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// execW runs a single write statement on the write pool, without a
// transaction of its own (one statement is atomic by itself), or in the
// next batch of writes.
func (s *Store) execW(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.batch != nil {
		var res sql.Result
		err := s.batch.do(ctx, func(tx *Tx) error {
			var err error
			res, err = tx.exec(query, args...)
			return err
		})
		return res, err
	}
	st, err := s.stmt(ctx, s.w, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// t is the value stored for a time: UTC, truncated to milliseconds, in the
// dialect's column type.
func (s *Store) t(v time.Time) any { return s.d.Time(v.UTC().Truncate(time.Millisecond)) }

// msTime scans any of the engines' time representations into a UTC time at
// millisecond precision: Unix milliseconds (SQLite), time.Time (PostgreSQL,
// MySQL with parseTime) or text.
type msTime struct{ t *time.Time }

func (m msTime) Scan(src any) error {
	switch v := src.(type) {
	case nil: // the missing side of an outer join
		*m.t = time.Time{}
	case int64:
		*m.t = time.UnixMilli(v).UTC()
	case time.Time:
		*m.t = v.UTC().Truncate(time.Millisecond)
	case []byte:
		return m.parse(string(v))
	case string:
		return m.parse(v)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", src)
	}
	return nil
}

func (m msTime) parse(v string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			*m.t = t.UTC().Truncate(time.Millisecond)
			return nil
		}
	}
	return fmt.Errorf("sqlstore: cannot parse time %q", v)
}

// notFound is the ENotFound error of a missing object.
func notFound(what string) error {
	return miniauth.Errorf(miniauth.ENotFound, "%s not found", what)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// The accessors below let a database's type (sqlite.DB, postgres.DB,
// mysql.DB), which embeds the Store, hand out each of the stores it is.
// SigningKeys is the signing-key store's own method here, so each database
// type declares that accessor itself.

// Users returns the user store.
func (s *Store) Users() miniauth.UserStore { return s }

// Sessions returns the session store (sessions in the same database).
func (s *Store) Sessions() miniauth.SessionStore { return s }

// Starter returns the store that creates a first login's account and
// session together (sessions in the same database).
func (s *Store) Starter() miniauth.SessionStarter { return s }

// Ledger returns the session ledger, for sessions kept in Redis.
func (s *Store) Ledger() miniauth.SessionLedger { return s }

// Endings returns the feed of session endings, wherever the sessions are.
func (s *Store) Endings() miniauth.SessionEndingStore { return s }

// WebLogins returns the store of scan-to-log-in tickets.
func (s *Store) WebLogins() miniauth.WebLoginStore { return s }

// LoginEvents returns the store of login events and their daily counts.
func (s *Store) LoginEvents() miniauth.LoginEventStore { return s }
