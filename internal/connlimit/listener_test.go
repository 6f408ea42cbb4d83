package connlimit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// testServer is an http.Server on loopback behind a capped Listener. It
// counts the connections the server holds, to check the cap from its side.
type testServer struct {
	l    *Listener
	addr string

	mu          sync.Mutex
	open, peak  int
	releaseSlow chan struct{}
}

func startServer(t *testing.T, limit int, grace time.Duration) *testServer {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{l: New(inner, limit, grace), addr: inner.Addr().String(), releaseSlow: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-ts.releaseSlow; io.WriteString(w, "ok") })
	srv := &http.Server{Handler: mux, ConnState: func(c net.Conn, s http.ConnState) {
		ts.count(s)
		ts.l.ConnState(c, s)
	}}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ts.l) }()
	t.Cleanup(func() {
		select {
		case <-ts.releaseSlow:
		default:
			close(ts.releaseSlow)
		}
		srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ts
}

func (ts *testServer) count(s http.ConnState) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	switch s {
	case http.StateNew:
		ts.open++
		ts.peak = max(ts.peak, ts.open)
	case http.StateClosed:
		ts.open--
	}
}

func (ts *testServer) peakOpen() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.peak
}

func (l *Listener) idleCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.idle.Len()
}

// client is one raw keep-alive connection.
type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{Conn: c, r: bufio.NewReader(c)}
}

// get sends one request and reads its answer within 10 s.
func (c *client) get(path string) (int, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// closedByServer reports whether the server closed c (reading gives EOF or
// a reset rather than waiting).
func (c *client) closedByServer() bool {
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.r.ReadByte()
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
	}
}

func TestAtTheCapTheLongestIdleConnectionMakesRoom(t *testing.T) {
	const limit = 3
	ts := startServer(t, limit, time.Hour)
	var idle []*client
	for i := range limit {
		c := dial(t, ts.addr)
		if status, err := c.get("/fast"); err != nil || status != 200 {
			t.Fatalf("connection %d: %d %v", i, status, err)
		}
		eventually(t, "the connection is idle", func() bool { return ts.l.idleCount() == i+1 })
		idle = append(idle, c)
	}

	newcomer := dial(t, ts.addr)
	if status, err := newcomer.get("/fast"); err != nil || status != 200 {
		t.Fatalf("a new client at the cap: %d %v", status, err)
	}
	if !idle[0].closedByServer() {
		t.Error("the longest idle connection is still open")
	}
	for i, c := range idle[1:] {
		if status, err := c.get("/fast"); err != nil || status != 200 {
			t.Errorf("idle connection %d was closed too: %v", i+1, err)
		}
	}
	if got := ts.l.Evicted(); got != 1 {
		t.Errorf("evicted %d connections, want 1", got)
	}
	if peak := ts.peakOpen(); peak > limit {
		t.Errorf("the server held %d connections at once; the cap is %d", peak, limit)
	}
}

func TestBusyConnectionsAreNeverClosedAndTheNewcomerWaits(t *testing.T) {
	const limit = 2
	ts := startServer(t, limit, time.Hour)
	results := make(chan error, limit)
	for range limit {
		c := dial(t, ts.addr)
		go func() {
			status, err := c.get("/slow")
			if err == nil && status != 200 {
				err = errors.New(http.StatusText(status))
			}
			results <- err
		}()
	}
	eventually(t, "both connections are busy", func() bool { return ts.peakOpen() == limit })

	newcomer := make(chan error, 1)
	go func() {
		_, err := dial(t, ts.addr).get("/fast")
		newcomer <- err
	}()
	select {
	case err := <-newcomer:
		t.Fatalf("served past the cap while every connection was busy (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(ts.releaseSlow)
	for range limit {
		if err := <-results; err != nil {
			t.Errorf("a busy connection: %v", err)
		}
	}
	if err := <-newcomer; err != nil {
		t.Errorf("the newcomer once room was made: %v", err)
	}
	if peak := ts.peakOpen(); peak > limit {
		t.Errorf("the server held %d connections at once; the cap is %d", peak, limit)
	}
}

func TestSilentNewConnectionsMakeRoomAfterTheirGrace(t *testing.T) {
	const limit = 2
	ts := startServer(t, limit, 100*time.Millisecond)
	silent := []*client{dial(t, ts.addr), dial(t, ts.addr)}
	eventually(t, "the silent connections are accepted", func() bool { return ts.peakOpen() == limit })

	if status, err := dial(t, ts.addr).get("/fast"); err != nil || status != 200 {
		t.Fatalf("a new client while silent ones fill the cap: %d %v", status, err)
	}
	if !silent[0].closedByServer() {
		t.Error("the oldest silent connection is still open")
	}
}

func TestCloseStopsAnAcceptWaitingForRoom(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(inner, 1, time.Hour)
	first := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		first <- c
	}()
	dial(t, inner.Addr().String())
	c := <-first
	defer c.Close()
	l.ConnState(c, http.StateActive)

	done := make(chan error, 1)
	go func() {
		_, err := l.Accept() // its connection waits for room that never comes
		done <- err
	}()
	dial(t, inner.Addr().String())
	time.Sleep(50 * time.Millisecond)
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waits after Close")
	}
}

func TestFitFileLimit(t *testing.T) {
	if got, lowered := FitFileLimit(10); got != 10 || lowered {
		t.Errorf("FitFileLimit(10) = %d, %v", got, lowered)
	}
	files := fileLimit()
	if files == 0 {
		t.Skip("no file descriptor limit here")
	}
	if got, lowered := FitFileLimit(files); got != max(files-ReservedFiles, 1) || !lowered {
		t.Errorf("FitFileLimit(%d) = %d, %v with a limit of %d files", files, got, lowered, files)
	}
}

func TestConnectionsKeepTheirHalfClose(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(inner, 1, 0)
	defer l.Close()
	client, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(interface{ CloseWrite() error }); !ok {
		t.Error("an accepted connection hides CloseWrite from net/http")
	}
}
