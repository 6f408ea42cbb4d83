package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/miniauth/miniauth"
)

// OpenServer finishes opening a database that runs as a server (PostgreSQL,
// MySQL): it bounds the pool, applies the migrations in fsys's "migrations"
// folder under the dialect's lock, and prepares the store. On error it
// closes sqldb and returns an error with a code: upstream_unavailable when
// the server could not be reached.
func OpenServer(ctx context.Context, sqldb *sql.DB, d *Dialect, fsys fs.FS, maxConns int, opts Options) (*Store, error) {
	sqldb.SetMaxOpenConns(maxConns)
	sqldb.SetMaxIdleConns(maxConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	// Below MySQL's wait_timeout (8 h by default) and any proxy's idle cut-off.
	sqldb.SetConnMaxLifetime(30 * time.Minute)
	sub, err := fs.Sub(fsys, "migrations")
	if err == nil {
		_, err = Migrate(ctx, sqldb, d, sub)
	}
	var st *Store
	if err == nil {
		st, err = New(ctx, d, sqldb, sqldb, opts)
	}
	if err != nil {
		sqldb.Close()
		return nil, OpenError(d, err)
	}
	return st, nil
}

// OpenError gives an error met while opening a database its code:
// upstream_unavailable when the server could not be reached, internal
// otherwise. Errors that have a code keep it.
func OpenError(d *Dialect, err error) error {
	var me *miniauth.Error
	if errors.As(err, &me) {
		return err
	}
	cause := fmt.Errorf("%s: open: %w", d.Name, err)
	if d.class(err) == ClassUnavailable {
		return miniauth.WrapError(miniauth.EUpstreamUnavailable, "the database is unavailable", cause)
	}
	return miniauth.WrapError(miniauth.EInternal, "cannot open the database", cause)
}
