package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miniauth/miniauth"
)

// Dialect is what differs between the SQL engines. The store's queries are
// written with ? placeholders and the dialect rewrites them once, when they
// are prepared.
type Dialect struct {
	// Name names the engine in error messages: "sqlite", "postgres", "mysql".
	Name string

	// DollarPlaceholders turns ? into $1, $2... (PostgreSQL).
	DollarPlaceholders bool

	// InsertIgnore is appended to an INSERT so that a duplicate key
	// inserts nothing and is no error: "ON CONFLICT DO NOTHING" or, in
	// MySQL, which has no ON CONFLICT, "ON DUPLICATE KEY UPDATE user_id =
	// user_id" (a no-op update: rows affected 0; every table it serves has
	// a user_id column).
	InsertIgnore string

	// AddLoginDaily is appended to the multi-row INSERT into login_daily so
	// that a row that exists gets the new counts added to its own:
	// "ON CONFLICT (...) DO UPDATE SET events = login_daily.events +
	// excluded.events, ..." or, in MySQL, "ON DUPLICATE KEY UPDATE events =
	// events + VALUES(events), ...".
	AddLoginDaily string

	// OneWriter is true when write transactions never overlap (SQLite): a
	// statement that reads and writes then needs no lock, and CreateSession
	// checks the user's flag in its INSERT (miniauth.DisabledUserRefuser).
	OneWriter bool

	// ForShare is appended to a SELECT inside a writing statement whose
	// rows must not change until it commits (" FOR SHARE", PostgreSQL);
	// with it CreateSession checks the user's flag in its INSERT too.
	// Empty where that form is not available: MySQL (no WITH before an
	// INSERT in MariaDB) re-reads the user after the INSERT instead.
	ForShare string

	// ForUpdate is appended to SELECTs that must lock the rows they read in
	// a write transaction ("FOR UPDATE"); empty for SQLite, whose write
	// transactions hold the whole database.
	ForUpdate string

	// Time turns a time (UTC, truncated to ms) into what the column holds:
	// SQLite keeps Unix milliseconds; PostgreSQL and MySQL take a time.Time.
	Time func(time.Time) any

	// Classify names the class of a driver error by the engine's error
	// NUMBER (never its text): unique violation, connection lost, retryable
	// conflict (deadlock, serialization failure), or unknown.
	Classify func(error) ErrorClass

	// MigrationLock takes the engine's lock that keeps several nodes
	// starting at once from applying migrations together, on c, and returns
	// its release. Nil when every migration transaction locks the database
	// by itself (SQLite's BEGIN IMMEDIATE).
	MigrationLock func(ctx context.Context, c *sql.Conn) (unlock func(), err error)

	// ByteOrder follows a text column in a comparison that must be in
	// byte order whatever the column's collation (` COLLATE "C"` in
	// PostgreSQL); empty where columns compare bytes already.
	ByteOrder string

	// NotIndexed wraps a column so that the planner does not read it
	// through its index (SQLite: unary +), where its estimate of a range
	// cannot tell a common prefix from a rare one; nil leaves the column
	// as it is (the planners of PostgreSQL and MySQL estimate ranges from
	// statistics).
	NotIndexedColumn func(col string) string
}

// ErrorClass is the kind of a driver error, as a dialect sees it.
type ErrorClass int

const (
	ClassOther       ErrorClass = iota
	ClassUnique                 // unique or primary key violation
	ClassUnavailable            // connection lost or refused, server shutting down, overloaded
	ClassRetryable              // deadlock or serialization failure: run the transaction again
)

// NotIndexed is col as NotIndexedColumn wraps it, or col.
func (d *Dialect) NotIndexed(col string) string {
	if d.NotIndexedColumn == nil {
		return col
	}
	return d.NotIndexedColumn(col)
}

// rebind rewrites ? placeholders into the dialect's. Our queries hold no ?
// inside string literals.
func (d *Dialect) rebind(q string) string {
	if !d.DollarPlaceholders {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// class classifies err: first what every driver shares (database/sql's and
// the network's typed errors, the context), then the dialect's numbers.
func (d *Dialect) class(err error) ErrorClass {
	if c := d.Classify(err); c != ClassOther {
		return c
	}
	switch {
	case errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		// A context that ended: miniauth.Deadline, which wraps every
		// store, judges these again and tells our deadline from a caller
		// that went away. Without it, 503 is the safer guess.
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return ClassUnavailable
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return ClassUnavailable
	}
	return ClassOther
}

// Wrap is wrap, for a database type's own stores beside the Store
// (SQLite's last-use file).
func (s *Store) Wrap(op string, err error) error { return s.wrap(op, err) }

// wrap turns a driver error into a miniauth error: EUpstreamUnavailable when
// the database cannot be reached (the HTTP layer answers 503), EInternal
// otherwise. op says what failed; it holds no secret, token or code.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var me *miniauth.Error
	if errors.As(err, &me) {
		return err
	}
	cause := fmt.Errorf("%s: %s: %w", s.d.Name, op, err)
	if s.d.class(err) == ClassUnavailable {
		return miniauth.WrapError(miniauth.EUpstreamUnavailable, "the database is unavailable", cause)
	}
	return miniauth.WrapError(miniauth.EInternal, "database error", cause)
}
