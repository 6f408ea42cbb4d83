package testserver

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

const (
	postgresMissing = "PostgreSQL is not installed (initdb not found): the PostgreSQL suite did not run; scripts/test.sh installs it"
	pgUser          = "miniauth"
	pgPassword      = "miniauth"
)

var postgresEngine = &sqlEngine{
	name:     "PostgreSQL",
	start:    startPostgres,
	admin:    func(s *Server, stmt string) error { return pgExec(s.adminURL("postgres"), stmt) },
	url:      (*Server).adminURL,
	createDB: "CREATE DATABASE %s",
}

// Postgres returns the URL of a fresh, empty database in the PostgreSQL
// server shared by this test binary (started at the first call):
// "postgres://user:pass@127.0.0.1:PORT/dbname?sslmode=disable". It skips
// the test when PostgreSQL is not installed.
func Postgres(t testing.TB) string {
	t.Helper()
	return postgresEngine.database(t)
}

// NewPostgres starts a PostgreSQL server for this test alone, with an empty
// database at URL. The test may Stop and Start it again (same port, same
// data) to simulate an outage; it is stopped and removed at the end of the
// test.
func NewPostgres(t testing.TB) *Server {
	t.Helper()
	return postgresEngine.own(t)
}

// adminURL is the URL of database db in a PostgreSQL server.
func (s *Server) adminURL(db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", pgUser, pgPassword, s.port, db)
}

func startPostgres() (*Server, error) {
	initdb, ok := findBinary([]string{"initdb"}, "/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin")
	if !ok {
		return nil, errNotInstalled(postgresMissing)
	}
	postgres := filepath.Join(filepath.Dir(initdb), "postgres")
	if _, err := os.Stat(postgres); err != nil {
		return nil, errNotInstalled(postgresMissing)
	}
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	return launch("PostgreSQL", cred, func(s *Server) (func(port int), error) {
		data := filepath.Join(s.dir, "data")
		pwfile := filepath.Join(s.dir, "pwfile")
		if err := os.WriteFile(pwfile, []byte(pgPassword+"\n"), 0o600); err != nil {
			return nil, err
		}
		if cred != nil {
			os.Chown(pwfile, int(cred.Uid), int(cred.Gid))
		}
		if err := run(s.dir, cred, initdb, "-D", data, "-U", pgUser, "--pwfile="+pwfile,
			"-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
			return nil, fmt.Errorf("testserver: PostgreSQL initdb: %w", err)
		}
		s.stopSig = syscall.SIGINT // "fast" shutdown: ends sessions, no waiting for clients
		return func(port int) {
			s.port = port
			s.URL = s.adminURL("postgres")
			s.argv = []string{postgres, "-D", data, "-p", strconv.Itoa(port),
				"-c", "listen_addresses=127.0.0.1",
				"-c", "unix_socket_directories=",
				// Durability is not what these tests are about.
				"-c", "fsync=off",
				"-c", "synchronous_commit=off",
				"-c", "full_page_writes=off",
				"-c", "max_connections=300",
			}
			s.ready = func(ctx context.Context) error { return pgPing(ctx, s.adminURL("postgres")) }
		}, nil
	})
}

// unprivileged returns the credentials to run PostgreSQL with: initdb and
// postgres refuse to run as root, so as root take Debian's postgres user,
// or nobody. As any other user, nil: run as ourselves.
func unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, fmt.Errorf("testserver: running as root and neither user postgres nor nobody exists to run PostgreSQL")
}

func pgPing(ctx context.Context, url string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

func pgExec(url, query string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	_, err = db.ExecContext(ctx, query)
	return err
}
