package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func testRecord(status int) *accessRecord {
	return &accessRecord{
		at: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), requestID: "abc-1", method: "GET",
		route: "/api/v1/me", ip: "203.0.113.9", errorCode: "unauthorized",
		elapsed: 1500 * time.Microsecond, status: status, bytes: 42, serverSide: status >= 500,
	}
}

func TestAccessLogLineIsJSONWithSlogKeys(t *testing.T) {
	var out bytes.Buffer
	l := NewAccessLog(&out, AccessLogOptions{})
	l.log(testRecord(401))
	l.Close()
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	want := map[string]any{"time": "2026-01-02T03:04:05Z", "level": "INFO", "msg": "request", "request_id": "abc-1",
		"method": "GET", "route": "/api/v1/me", "status": 401.0, "duration_ms": 1.5, "ip": "203.0.113.9",
		"bytes": 42.0, "error_code": "unauthorized"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v", k, line[k], v)
		}
	}
}

func TestAccessLogText(t *testing.T) {
	var out bytes.Buffer
	l := NewAccessLog(&out, AccessLogOptions{Text: true})
	l.log(testRecord(503))
	l.Close()
	want := "time=2026-01-02T03:04:05Z level=WARN msg=request request_id=abc-1 method=GET route=/api/v1/me status=503 duration_ms=1.5 ip=203.0.113.9 bytes=42 error_code=unauthorized\n"
	if out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
}

func TestAccessLogLevel(t *testing.T) {
	l := &AccessLog{level: slog.LevelWarn}
	if l.enabled(200) || !l.enabled(500) {
		t.Error("at warn, only 5xx answers are logged")
	}
	if (*AccessLog)(nil).enabled(500) {
		t.Error("no access log, no line")
	}
}

// blockedWriter stalls every write until released, as a stderr nobody reads.
type blockedWriter struct {
	entered chan struct{} // receives once a write waits
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// A stalled writer never blocks a request: past the queue, lines are
// dropped and counted.
func TestAccessLogDropsWhenFull(t *testing.T) {
	w := &blockedWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	l := NewAccessLog(w, AccessLogOptions{Queue: 4})
	drops := 0
	l.onDrop = func() { drops++ }
	l.log(testRecord(200))
	<-w.entered // the writer is stuck on its first line
	done := make(chan struct{})
	go func() {
		for range 100 {
			l.log(testRecord(200))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("logging blocked on a stalled writer")
	}
	// The queue took 4; the rest were dropped.
	if l.Dropped() != 100-4 || int(l.Dropped()) != drops {
		t.Errorf("dropped %d, counted %d", l.Dropped(), drops)
	}
	close(w.release)
	l.Close()
	if n := strings.Count(w.buf.String(), "\n"); n+drops != 101 {
		t.Errorf("%d lines written and %d dropped, want 101 in all", n, drops)
	}
}

// countingWriter counts the writes it takes.
type countingWriter struct {
	mu     sync.Mutex
	writes int
	buf    bytes.Buffer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.buf.Write(p)
}

func (w *countingWriter) state() (writes int, out string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes, w.buf.String()
}

// Lines logged while the writer lingers go out in one write, by the
// writer itself (no Sync), whole and in order.
func TestAccessLogWritesABatchAtOnce(t *testing.T) {
	w := &countingWriter{}
	l := NewAccessLog(w, AccessLogOptions{})
	defer l.Close()
	l.linger = time.Second // read by the writer only after the first line's signal
	for i := range 50 {
		r := testRecord(200)
		r.requestID = "r-" + strconv.Itoa(i)
		l.log(r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		writes, out := w.state()
		if writes > 0 {
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if writes != 1 || len(lines) != 50 {
				t.Fatalf("%d writes with %d lines, want one with 50", writes, len(lines))
			}
			for i, line := range lines {
				if !strings.Contains(line, `"request_id":"r-`+strconv.Itoa(i)+`"`) {
					t.Fatalf("line %d out of order: %s", i, line)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never wrote the batch")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A burst's large buffer is not kept once written: the log's memory
// returns to its usual size.
func TestAccessLogGivesBackABurstsBuffer(t *testing.T) {
	l := NewAccessLog(&countingWriter{}, AccessLogOptions{})
	defer l.Close()
	l.linger = time.Hour
	for range 2 * accessLogKeep / 200 {
		l.log(testRecord(200))
	}
	l.Sync()
	l.writeMu.Lock()
	kept := cap(l.spare)
	l.writeMu.Unlock()
	if kept > accessLogKeep {
		t.Errorf("kept a buffer of %d bytes after the burst, want at most %d", kept, accessLogKeep)
	}
	l.log(testRecord(200))
	l.Sync()
	l.writeMu.Lock()
	kept = cap(l.spare)
	l.writeMu.Unlock()
	if kept == 0 {
		t.Error("a small batch's buffer is kept for reuse")
	}
}
