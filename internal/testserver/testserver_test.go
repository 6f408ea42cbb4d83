package testserver_test

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// mysqlDSN turns the contract's mysql:// URL into go-sql-driver's form.
func mysqlDSN(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	return u.User.Username() + ":" + pw + "@tcp(" + u.Host + ")" + u.Path
}

func ping(t *testing.T, driver, dsn string) error {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// redisPing sends PING and reads the answer, the way a client would.
func redisPing(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(buf[:n]), "+PONG") {
		return &net.AddrError{Err: "unexpected answer " + string(buf[:n]), Addr: u.Host}
	}
	return nil
}

func TestRedisShared(t *testing.T) {
	t.Parallel()
	a, b := testserver.Redis(t), testserver.Redis(t)
	if a != b {
		t.Fatalf("shared Redis URLs differ: %s, %s", a, b)
	}
	if !strings.HasPrefix(a, "redis://127.0.0.1:") || !strings.HasSuffix(a, "/0") {
		t.Fatalf("URL %q", a)
	}
	if err := redisPing(a); err != nil {
		t.Fatal(err)
	}
}

func TestNewRedisStopStart(t *testing.T) {
	t.Parallel()
	s := testserver.NewRedis(t)
	if err := redisPing(s.URL); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := redisPing(s.URL); err == nil {
		t.Fatal("PING answered after Stop")
	}
	s.Stop() // stopping twice is harmless
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := redisPing(s.URL); err != nil {
		t.Fatalf("after Start again: %v", err)
	}
}

func TestPostgresFreshDatabases(t *testing.T) {
	t.Parallel()
	a, b := testserver.Postgres(t), testserver.Postgres(t)
	if a == b {
		t.Fatalf("two calls gave the same database %s", a)
	}
	for _, u := range []string{a, b} {
		if !strings.HasPrefix(u, "postgres://miniauth:miniauth@127.0.0.1:") || !strings.HasSuffix(u, "?sslmode=disable") {
			t.Fatalf("URL %q", u)
		}
	}
	// A table made in one database is not in the other.
	dba, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer dba.Close()
	if _, err := dba.Exec("CREATE TABLE x (id int)"); err != nil {
		t.Fatal(err)
	}
	dbb, err := sql.Open("pgx", b)
	if err != nil {
		t.Fatal(err)
	}
	defer dbb.Close()
	if _, err := dbb.Exec("CREATE TABLE x (id int)"); err != nil {
		t.Fatalf("database b is not fresh: %v", err)
	}
}

func TestNewPostgresStopStart(t *testing.T) {
	t.Parallel()
	s := testserver.NewPostgres(t)
	db, err := sql.Open("pgx", s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := ping(t, "pgx", s.URL); err == nil {
		t.Fatal("ping succeeded after Stop")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	var id int
	if err := db.QueryRow("SELECT id FROM kept").Scan(&id); err != nil || id != 7 {
		t.Fatalf("after restart: id %d, err %v", id, err)
	}
}

func TestMySQLFreshDatabases(t *testing.T) {
	t.Parallel()
	a, b := testserver.MySQL(t), testserver.MySQL(t)
	if a == b {
		t.Fatalf("two calls gave the same database %s", a)
	}
	if !strings.HasPrefix(a, "mysql://miniauth:miniauth@127.0.0.1:") {
		t.Fatalf("URL %q", a)
	}
	for _, u := range []string{a, b} {
		db, err := sql.Open("mysql", mysqlDSN(t, u))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("CREATE TABLE x (id int)"); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
}

func TestNewMySQLStopStart(t *testing.T) {
	t.Parallel()
	s := testserver.NewMySQL(t)
	dsn := mysqlDSN(t, s.URL)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE kept (id int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := ping(t, "mysql", dsn); err == nil {
		t.Fatal("ping succeeded after Stop")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	var id int
	if err := db.QueryRow("SELECT id FROM kept").Scan(&id); err != nil || id != 7 {
		t.Fatalf("after restart: id %d, err %v", id, err)
	}
}

func TestRedisClusterForms(t *testing.T) {
	c := testserver.NewRedisCluster(t)
	if len(c.Nodes) != 3 || !strings.Contains(c.URL, "?addr=") {
		t.Fatalf("cluster %+v", c)
	}
	for _, n := range c.Nodes {
		if err := redisPing("redis://" + n.Addr()); err != nil {
			t.Error(err)
		}
	}
}

func TestRedisSentinelGroup(t *testing.T) {
	g := testserver.NewRedisSentinel(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := g.Master(ctx)
	if err != nil || m != g.Data[0].Addr() {
		t.Fatalf("master %q, %v; want %s", m, err, g.Data[0].Addr())
	}
	if !strings.Contains(g.URL, "master_name="+testserver.SentinelMaster) {
		t.Errorf("URL %s", g.URL)
	}
}
