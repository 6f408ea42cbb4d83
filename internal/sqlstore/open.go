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

// ServerOptions tunes the opening of a database that runs as a server
// (PostgreSQL, MySQL: their Options). The zero value is usable.
type ServerOptions struct {
	// MaxConns bounds the connection pool. Default DefaultMaxConns.
	MaxConns int
	// Now is the store's clock. Default time.Now.
	Now func() time.Time
}

// DefaultMaxConns is the default of ServerOptions.MaxConns.
const DefaultMaxConns = 20

// OpenServer finishes opening a database that runs as a server (PostgreSQL,
// MySQL): it bounds the pool, applies the migrations in fsys's "migrations"
// folder under the dialect's lock, and prepares the store. On error it
// closes sqldb and returns an error with a code: upstream_unavailable when
// the server could not be reached.
func OpenServer(ctx context.Context, sqldb *sql.DB, d *Dialect, fsys fs.FS, opts ServerOptions) (*Store, error) {
	maxConns := opts.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
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
		st, err = New(ctx, d, sqldb, sqldb, Options{Now: opts.Now})
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
