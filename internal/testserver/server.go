// Package testserver starts real, throwaway database servers (PostgreSQL,
// MariaDB, Redis) for tests: on 127.0.0.1 with random free ports, in
// temporary directories, killed with the test binary.
//
// Shared servers (Redis, Postgres, MySQL) start once per test binary, lazily,
// at the first call. Use Main in TestMain so that they are stopped and their
// directories removed when the tests end:
//
//	func TestMain(m *testing.M) { testserver.Main(m) }
//
// Without Main the servers still die with the test binary (parent-death
// signal) but their temporary directories stay behind.
//
// When a server is not installed the test is skipped with a message that
// names the suite that did not run.
package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to answer after its
// process started.
const startTimeout = 60 * time.Second

// Server is one running (or stopped) server process. URL is where a client
// connects: for database servers, a database of its own in it.
type Server struct {
	URL string

	name    string   // "PostgreSQL", for messages
	dir     string   // temporary directory, removed by close
	port    int      // the TCP port on 127.0.0.1
	logPath string   // the server's stdout and stderr
	argv    []string // the command that runs the server
	cred    *syscall.Credential
	ready   func(ctx context.Context) error // succeeds once the server answers
	stopSig syscall.Signal                  // the signal for a clean, fast shutdown

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// Start starts the server process (again) with the same port and directory
// and waits until it answers. Starting a running server does nothing.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("testserver: %s log: %w", s.name, err)
	}
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// The server dies with the test binary, even when it panics or
		// is killed by go test's timeout. Go sets this after switching
		// credentials, so the kernel does not clear it.
		Pdeathsig:  syscall.SIGKILL,
		Credential: s.cred,
		Setpgid:    true, // keep ^C of the terminal for the test binary
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("testserver: start %s: %w", s.name, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitReady(ctx, s.ready, exited); err != nil {
		s.stopLocked()
		return fmt.Errorf("testserver: %s did not become ready: %w\n--- %s log tail ---\n%s",
			s.name, err, s.name, logTail(s.logPath, 40))
	}
	return nil
}

// Stop stops the server process, cleanly if it can within a few seconds,
// and keeps its directory so that Start can bring it back with its data.
// Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(s.stopSig)
	s.signalAll(syscall.SIGCONT) // a paused server must run to hear it
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd, s.exited = nil, nil
}

// Kill kills the server process with SIGKILL, as a crash would: nothing is
// flushed. Its directory stays, so that Start brings it back with whatever
// it had made durable. Killing a stopped server does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd, s.exited = nil, nil
}

// close stops the server for good and removes its directory.
func (s *Server) close() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// Log returns the tail of the server's log, for a failing test's message.
func (s *Server) Log() string { return logTail(s.logPath, 40) }

// waitReady polls ready until it succeeds, the process exits or ctx ends.
func waitReady(ctx context.Context, ready func(context.Context) error, exited <-chan struct{}) error {
	var err error
	for delay := 10 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = ready(attempt)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the process exited (last probe: %v)", err)
		case <-ctx.Done():
			return fmt.Errorf("gave up after %v: %w", startTimeout, err)
		case <-time.After(delay):
		}
	}
}

// logTail returns the last n lines of the file at path.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Another process
// may take it before the server binds it; start retries with a new port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// findBinary looks for the first of names on PATH and then in dirs (which
// may hold glob patterns; the last match of a pattern wins, so that the
// newest PostgreSQL version is taken).
func findBinary(names []string, dirs ...string) (string, bool) {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	for _, name := range names {
		for _, dir := range dirs {
			matches, _ := filepath.Glob(filepath.Join(dir, name))
			for i := len(matches) - 1; i >= 0; i-- {
				if fi, err := os.Stat(matches[i]); err == nil && fi.Mode()&0o111 != 0 {
					return matches[i], true
				}
			}
		}
	}
	return "", false
}

// setupTimeout bounds a set-up command; on a loaded machine
// mariadb-install-db takes half a minute.
const setupTimeout = 3 * time.Minute

// run runs a set-up command (initdb, mariadb-install-db) and returns its
// output in the error when it fails.
func run(dir string, cred *syscall.Credential, argv ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(argv[0]), err, out)
	}
	return nil
}

// registry holds every server this test binary started, so that Main can
// stop them. It is package state because shared servers outlive the test
// that started them.
var registry struct {
	sync.Mutex
	servers []*Server
}

func register(s *Server) {
	registry.Lock()
	defer registry.Unlock()
	registry.servers = append(registry.servers, s)
}

// Main runs the tests, stops every server this process started, removes
// their directories and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	stopAll()
	reportSkipped()
	os.Exit(code)
}

// skipped collects the "not installed" messages of this test binary, once
// each.
var skipped struct {
	sync.Mutex
	messages []string
}

func noteSkipped(msg string) {
	skipped.Lock()
	defer skipped.Unlock()
	for _, m := range skipped.messages {
		if m == msg {
			return
		}
	}
	skipped.messages = append(skipped.messages, msg)
}

// reportSkipped says which backend suites did not run. `go test ./...`
// shows nothing of a passing package but its "ok" line, so the summary also
// goes to the terminal, when there is one: a developer who ran the tests
// without the servers must not take the silence for a pass of every suite.
func reportSkipped() {
	skipped.Lock()
	defer skipped.Unlock()
	if len(skipped.messages) == 0 {
		return
	}
	pkg := "this package"
	if wd, err := os.Getwd(); err == nil {
		pkg = filepath.Base(wd)
	}
	report := fmt.Sprintf("testserver (%s): skipped: %s\n", pkg, strings.Join(skipped.messages, "; "))
	fmt.Fprint(os.Stderr, report)
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		fmt.Fprint(tty, report)
		tty.Close()
	}
}

func stopAll() {
	registry.Lock()
	servers := registry.servers
	registry.servers = nil
	registry.Unlock()
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(s.close)
	}
	wg.Wait()
}

// newServer makes the temporary directory of a server, owned by cred's user
// when set (the parent is the system temp dir, which every user can enter).
func newServer(name string, cred *syscall.Credential) (*Server, error) {
	dir, err := os.MkdirTemp("", "miniauth-"+strings.ToLower(name)+"-")
	if err != nil {
		return nil, fmt.Errorf("testserver: %s dir: %w", name, err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("testserver: %s dir: %w", name, err)
		}
	}
	return &Server{name: name, dir: dir, logPath: filepath.Join(dir, "server.log"), cred: cred}, nil
}

// startOnFreePort calls configure with a fresh free port and starts the
// server, a few times over in case another process took the port between
// freePort and the server's bind.
func startOnFreePort(s *Server, configure func(port int)) error {
	var err error
	for range 3 {
		port, perr := freePort()
		if perr != nil {
			return fmt.Errorf("testserver: free port: %w", perr)
		}
		configure(port)
		if err = s.Start(); err == nil {
			register(s)
			return nil
		}
		if !strings.Contains(err.Error(), "process exited") {
			break
		}
	}
	return err
}

// shared is a lazily started server shared by the whole test binary; the
// outcome of the first start is remembered so that every later test skips
// or fails fast in the same way.
type shared struct {
	once sync.Once
	srv  *Server
	err  error
}

func (sh *shared) get(t testing.TB, start func() (*Server, error)) *Server {
	t.Helper()
	sh.once.Do(func() { sh.srv, sh.err = start() })
	if sh.err != nil {
		skipOrFatal(t, sh.err)
	}
	return sh.srv
}

// errNotInstalled carries a skip message.
type errNotInstalled string

func (e errNotInstalled) Error() string { return string(e) }

// skipOrFatal turns a start error into a skip (not installed) or a failure.
func skipOrFatal(t testing.TB, err error) {
	t.Helper()
	var ni errNotInstalled
	if errors.As(err, &ni) {
		if os.Getenv(RequireEnv) != "" {
			// The project's test command installs every server: a missing
			// one there is a broken set-up, not a reason to skip.
			t.Fatalf("%s (%s is set)", ni, RequireEnv)
		}
		noteSkipped(string(ni))
		t.Skip(string(ni))
	}
	t.Fatal(err)
}

// RequireEnv, when set in the environment, turns "not installed" skips into
// failures. scripts/test.sh sets it.
const RequireEnv = "MINIAUTH_TEST_REQUIRE_BACKENDS"
