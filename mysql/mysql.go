// Package mysql keeps users and sessions in MySQL or MariaDB, through
// github.com/go-sql-driver/mysql.
package mysql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes Open (the pool's size, the clock), as for every database
// server. The zero value is usable.
type Options = sqlstore.ServerOptions

// DB is an open MySQL database. It is both the user and the session store.
type DB struct {
	*sqlstore.Store
	db *sql.DB
}

var (
	_ miniauth.UserStore    = (*DB)(nil)
	_ miniauth.SessionStore = (*DB)(nil)
)

// Open connects to the database at dsn with default options and applies the
// migrations it lacks. dsn is the contract's mysql://user:pass@host:port/db
// (query parameters are passed to the driver) or a go-sql-driver DSN.
func Open(ctx context.Context, dsn string) (*DB, error) { return OpenOptions(ctx, dsn, Options{}) }

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cfg, err := ParseURL(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "mysql: the database URL is not valid")
	}
	sqldb := sql.OpenDB(conn)
	st, err := sqlstore.OpenServer(ctx, sqldb, &dialect, migrations, opts)
	if err != nil {
		return nil, err
	}
	return &DB{Store: st, db: sqldb}, nil
}

// ParseURL turns mysql://user:pass@host:port/db?param=value (or a
// go-sql-driver DSN) into the driver's configuration, with what the store
// relies on forced: times parsed, in UTC; utf8mb4; a connect timeout.
func ParseURL(dsn string) (*mysql.Config, error) {
	var cfg *mysql.Config
	if rest, ok := strings.CutPrefix(dsn, "mysql://"); ok {
		u, err := url.Parse("mysql://" + rest)
		if err != nil || u.Host == "" {
			// The error would quote the URL, password included.
			return nil, miniauth.Errorf(miniauth.EInvalidRequest, "mysql: the database URL is not valid: want mysql://user:pass@host:port/db")
		}
		// Driver parameters (tls=..., and so on) come through ParseDSN.
		cfg, err = mysql.ParseDSN("/?" + u.RawQuery)
		if err != nil {
			return nil, miniauth.Errorf(miniauth.EInvalidRequest, "mysql: a parameter of the database URL is not valid")
		}
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
		}
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
	} else {
		var err error
		cfg, err = mysql.ParseDSN(dsn)
		if err != nil {
			return nil, miniauth.Errorf(miniauth.EInvalidRequest, "mysql: the database URL is not valid")
		}
	}
	if cfg.DBName == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "mysql: the database URL names no database")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Collation == "" || !strings.HasPrefix(cfg.Collation, "utf8mb4") {
		cfg.Collation = "utf8mb4_general_ci"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	// The DATETIME values we write are UTC; make NOW() and friends agree.
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["time_zone"]; !ok {
		cfg.Params["time_zone"] = "'+00:00'"
	}
	return cfg, nil
}

// SigningKeys returns the store of the keys that sign JWT access tokens.
func (db *DB) SigningKeys() miniauth.SigningKeyStore { return db.Store }

// Close closes the database.
func (db *DB) Close() error {
	db.Store.Close()
	return db.db.Close()
}

// migrationLock is GET_LOCK's name: locks are server-wide, so it names the
// database (hashed: names are limited to 64 characters).
const migrationLock = "CONCAT('miniauth:migrate:', SHA1(DATABASE()))"

// dialect is MySQL's. It is never modified.
var dialect = sqlstore.Dialect{
	Name:         "mysql",
	InsertIgnore: "ON DUPLICATE KEY UPDATE user_id = user_id",
	ForUpdate:    " FOR UPDATE",
	Time:         func(t time.Time) any { return t },
	Classify:     classify,
	// VALUES() in an update clause: MariaDB's form (MySQL 8.0.20+ still
	// takes it, with a deprecation note).
	AddLoginDaily: "ON DUPLICATE KEY UPDATE events = events + VALUES(events), new_users = new_users + VALUES(new_users)",
	MigrationLock: func(ctx context.Context, c *sql.Conn) (func(), error) {
		var got sql.NullInt64
		if err := c.QueryRowContext(ctx, "SELECT GET_LOCK("+migrationLock+", 120)").Scan(&got); err != nil {
			return nil, err
		}
		if !got.Valid || got.Int64 != 1 {
			return nil, fmt.Errorf("mysql: timed out waiting for the migration lock")
		}
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c.ExecContext(ctx, "DO RELEASE_LOCK("+migrationLock+")")
		}, nil
	},
}

// classify looks at the server's error number and the driver's typed errors.
func classify(err error) sqlstore.ErrorClass {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1062: // ER_DUP_ENTRY
			return sqlstore.ClassUnique
		case 1213, 1205: // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
			return sqlstore.ClassRetryable
		case 1040, // ER_CON_COUNT_ERROR: too many connections
			1053,                   // ER_SERVER_SHUTDOWN
			1077,                   // ER_NORMAL_SHUTDOWN
			1078,                   // ER_GOT_SIGNAL
			1079,                   // ER_SHUTDOWN_COMPLETE
			1152,                   // ER_ABORTING_CONNECTION
			1158, 1159, 1160, 1161, // ER_NET_READ_ERROR ... ER_NET_WRITE_INTERRUPTED
			1927,                   // ER_CONNECTION_KILLED (MariaDB)
			2002, 2003, 2006, 2013: // client: can't connect, server gone away, lost connection
			return sqlstore.ClassUnavailable
		}
		return sqlstore.ClassOther
	}
	if errors.Is(err, mysql.ErrInvalidConn) {
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
