// Package postgres keeps users and sessions in PostgreSQL, through pgx
// (github.com/jackc/pgx/v5/stdlib) and database/sql.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes Open (the pool's size, the clock), as for every database
// server. The zero value is usable.
type Options = sqlstore.ServerOptions

// DB is an open PostgreSQL database. It is both the user and the session
// store.
type DB struct {
	*sqlstore.Store
	db *sql.DB
}

var (
	_ miniauth.UserStore    = (*DB)(nil)
	_ miniauth.SessionStore = (*DB)(nil)
)

// Open connects to the database at dsn (postgres://user:pass@host:port/db,
// or any form pgx takes) with default options and applies the migrations it
// lacks.
func Open(ctx context.Context, dsn string) (*DB, error) { return OpenOptions(ctx, dsn, Options{}) }

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, dsn string, opts Options) (*DB, error) {
	sqldb, err := sql.Open("pgx", withConnectTimeout(dsn))
	if err != nil {
		// The error may quote the DSN, password included: leave it out.
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "postgres: the database URL is not valid")
	}
	st, err := sqlstore.OpenServer(ctx, sqldb, &dialect, migrations, opts)
	if err != nil {
		return nil, err
	}
	return &DB{Store: st, db: sqldb}, nil
}

// withConnectTimeout adds a connect timeout to a URL that has none, so that
// an unreachable server fails a request instead of hanging it.
func withConnectTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "5")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// isCommonUnavailable reports the errors of a server that cannot be reached
// at all (refused, timed out, unreachable).
func isCommonUnavailable(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)
}

// SigningKeys returns the store of the keys that sign JWT access tokens.
func (db *DB) SigningKeys() miniauth.SigningKeyStore { return db.Store }

// Close closes the database.
func (db *DB) Close() error {
	db.Store.Close()
	return db.db.Close()
}

// migrationLockKey names our pg_advisory_lock; advisory locks are per
// database, so each database has its own.
const migrationLockKey = 0x6d696e6961757468 // "miniauth"

// dialect is PostgreSQL's. It is never modified.
var dialect = sqlstore.Dialect{
	Name:               "postgres",
	DollarPlaceholders: true,
	InsertIgnore:       "ON CONFLICT DO NOTHING",
	ForUpdate:          " FOR UPDATE",
	ForShare:           " FOR SHARE",
	Time:               func(t time.Time) any { return t },
	Classify:           classify,
	ByteOrder:          ` COLLATE "C"`,
	AddLoginDaily: "ON CONFLICT (day, app_id, platform, kind, result) DO UPDATE SET " +
		"events = login_daily.events + excluded.events, new_users = login_daily.new_users + excluded.new_users",
	MigrationLock: func(ctx context.Context, c *sql.Conn) (func(), error) {
		if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
			return nil, err
		}
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", int64(migrationLockKey))
		}, nil
	},
}

// classify looks at the SQLSTATE code of a server error and at pgconn's
// typed connection errors.
func classify(err error) sqlstore.ErrorClass {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return sqlstore.ClassUnique
		case pe.Code == "40001", pe.Code == "40P01": // serialization_failure, deadlock_detected
			return sqlstore.ClassRetryable
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),                           // insufficient resources (too many connections...)
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // admin/crash shutdown, cannot connect now
			pe.Code == "57014": // query_canceled (statement timeout)
			return sqlstore.ClassUnavailable
		}
		return sqlstore.ClassOther
	}
	if isCommonUnavailable(err) {
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
