package testserver

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	_ "github.com/go-sql-driver/mysql" // the "mysql" database/sql driver
)

const (
	mysqlMissing  = "MariaDB is not installed (mariadbd or mariadb-install-db not found): the MySQL/MariaDB suite did not run; scripts/test.sh installs it"
	mysqlUser     = "miniauth"
	mysqlPassword = "miniauth"
)

var mysqlEngine = &sqlEngine{
	name:     "MariaDB",
	start:    startMySQL,
	admin:    func(s *Server, stmt string) error { return mysqlExec(s.mysqlDSN(""), stmt) },
	url:      (*Server).mysqlURL,
	createDB: "CREATE DATABASE %s CHARACTER SET utf8mb4",
}

// MySQL returns the URL of a fresh, empty database in the MariaDB server
// shared by this test binary (started at the first call), in the contract's
// form "mysql://user:pass@127.0.0.1:PORT/dbname". It skips the test when
// MariaDB is not installed.
func MySQL(t testing.TB) string {
	t.Helper()
	return mysqlEngine.database(t)
}

// NewMySQL starts a MariaDB server for this test alone, with an empty
// database at URL. The test may Stop and Start it again (same port, same
// data) to simulate an outage; it is stopped and removed at the end of the
// test.
func NewMySQL(t testing.TB) *Server {
	t.Helper()
	return mysqlEngine.own(t)
}

func (s *Server) mysqlURL(db string) string {
	return fmt.Sprintf("mysql://%s:%s@127.0.0.1:%d/%s", mysqlUser, mysqlPassword, s.port, db)
}

// mysqlDSN is the go-sql-driver form, for our own administration.
func (s *Server) mysqlDSN(db string) string {
	return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/%s", mysqlUser, mysqlPassword, s.port, db)
}

func startMySQL() (*Server, error) {
	sbin := []string{"/usr/sbin", "/usr/libexec", "/usr/local/sbin", "/usr/local/mysql/bin", "/usr/bin"}
	mysqld, ok := findBinary([]string{"mariadbd", "mysqld"}, sbin...)
	if !ok {
		return nil, errNotInstalled(mysqlMissing)
	}
	installDB, ok := findBinary([]string{"mariadb-install-db", "mysql_install_db"}, append([]string{"/usr/bin", "/usr/local/bin"}, sbin...)...)
	if !ok {
		return nil, errNotInstalled(mysqlMissing)
	}
	return launch("MariaDB", nil, func(s *Server) (func(port int), error) {
		data := filepath.Join(s.dir, "data")
		opts, initFile, err := installMySQL(s, installDB, data)
		if err != nil {
			return nil, err
		}
		s.stopSig = syscall.SIGTERM
		return func(port int) {
			s.port = port
			s.URL = s.mysqlURL("")
			s.argv = append([]string{mysqld, "--no-defaults",
				"--datadir=" + data,
				"--port=" + strconv.Itoa(port),
				"--bind-address=127.0.0.1",
				"--socket=" + filepath.Join(s.dir, "mysqld.sock"),
				"--pid-file=" + filepath.Join(s.dir, "mysqld.pid"),
				"--init-file=" + initFile,
				"--skip-name-resolve",
				"--max-connections=300",
			}, opts...)
			s.ready = func(ctx context.Context) error { return mysqlReady(ctx, s.mysqlDSN(""), data) }
		}, nil
	})
}

// installMySQL makes the data directory and the init file of a MariaDB
// server, and answers the options its every start takes.
func installMySQL(s *Server, installDB, data string) (opts []string, initFile string, err error) {
	// A temporary directory of its own: at every start, mariadbd deletes
	// each "#sql*" file in its tmpdir, which defaults to the shared /tmp,
	// and so the temporary tables of any other MariaDB running there. The
	// test binaries of a full run start their servers at the same time, and
	// install-db's bootstrap fails ("Unknown table
	// 'mysql.tmp_proxies_priv'") when another server starts meanwhile.
	tmp := filepath.Join(s.dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, "", fmt.Errorf("testserver: MariaDB tmpdir: %w", err)
	}
	// Server options that install-db passes on to its bootstrap server too;
	// durability is not what these tests are about.
	opts = []string{
		"--tmpdir=" + tmp,
		"--innodb-buffer-pool-size=64M",
		"--innodb-log-file-size=16M",
		"--innodb-flush-log-at-trx-commit=0",
		"--innodb-doublewrite=0",
		"--skip-log-bin",
	}
	if os.Geteuid() == 0 {
		opts = append(opts, "--user=root") // mariadbd refuses root without it
	}
	install := append([]string{installDB, "--no-defaults", "--datadir=" + data,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, opts...)
	if err := run(s.dir, nil, install...); err != nil {
		return nil, "", fmt.Errorf("testserver: MariaDB install-db: %w", err)
	}
	// The init file runs at every start, before clients are let in: it
	// makes the user our URLs name, allowed from anywhere (127.0.0.1).
	initFile = filepath.Join(s.dir, "init.sql")
	initSQL := fmt.Sprintf("CREATE USER IF NOT EXISTS '%[1]s'@'%%' IDENTIFIED BY '%[2]s';\n"+
		"GRANT ALL PRIVILEGES ON *.* TO '%[1]s'@'%%' WITH GRANT OPTION;\n", mysqlUser, mysqlPassword)
	if err := os.WriteFile(initFile, []byte(initSQL), 0o644); err != nil {
		return nil, "", err
	}
	return opts, initFile, nil
}

// mysqlReady succeeds once the server at dsn answers and is the one with
// this data directory: between freePort and our server's bind, another
// test binary's MariaDB (same user, same password) may take the port, and
// our server then exits while the other answers in its place.
func mysqlReady(ctx context.Context, dsn, dataDir string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var dir string
	if err := db.QueryRowContext(ctx, "SELECT @@datadir").Scan(&dir); err != nil {
		return err
	}
	if filepath.Clean(dir) != filepath.Clean(dataDir) {
		return fmt.Errorf("another MariaDB answers on this port (datadir %s)", dir)
	}
	return nil
}

func mysqlExec(dsn, query string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	_, err = db.ExecContext(ctx, query)
	return err
}
