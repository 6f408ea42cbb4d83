package testserver

import (
	"fmt"
	"syscall"
	"testing"
)

// sqlEngine is what the MariaDB and PostgreSQL helpers share: a server
// shared by the test binary with a fresh database for each test, or a
// server of the test's own.
type sqlEngine struct {
	name     string
	shared   shared
	start    func() (*Server, error)
	admin    func(s *Server, stmt string) error // runs stmt as the administrator
	url      func(s *Server, db string) string  // the contract's URL of database db
	createDB string                             // the CREATE DATABASE statement, %s the name
}

// database creates a fresh database in the shared server and returns its URL.
func (e *sqlEngine) database(t testing.TB) string {
	t.Helper()
	s := e.shared.get(t, e.start)
	name := dbName(t)
	if err := e.admin(s, fmt.Sprintf(e.createDB, name)); err != nil {
		t.Fatalf("testserver: create %s database %s: %v", e.name, name, err)
	}
	return e.url(s, name)
}

// own starts a server for the test alone, with an empty database
// "miniauth" at its URL; it is stopped and removed at the end of the test.
func (e *sqlEngine) own(t testing.TB) *Server {
	t.Helper()
	s, err := e.start()
	if err != nil {
		skipOrFatal(t, err)
	}
	t.Cleanup(s.close)
	if err := e.admin(s, fmt.Sprintf(e.createDB, "miniauth")); err != nil {
		t.Fatalf("testserver: create %s database: %v", e.name, err)
	}
	s.URL = e.url(s, "miniauth")
	return s
}

// launch makes a server's directory (owned by cred's user when set), lets
// prepare fill it and say how to run the server on a port, and starts it
// on a free port. On any error the directory is removed.
func launch(name string, cred *syscall.Credential, prepare func(s *Server) (onPort func(port int), err error)) (*Server, error) {
	s, err := newServer(name, cred)
	if err != nil {
		return nil, err
	}
	onPort, err := prepare(s)
	if err == nil {
		err = startOnFreePort(s, onPort)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}
