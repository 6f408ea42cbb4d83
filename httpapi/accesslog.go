package httpapi

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// AccessLog writes one line per request, JSON (or logfmt-like text). A
// request formats its line into a shared buffer under a mutex and never
// waits for the output: a goroutine of its own writes the buffer out a
// moment (accessLogLinger) after its first line, so that a busy server
// makes one write for many requests instead of one per request, and the
// writer wakes once per batch rather than once per line. When lines pile
// up beyond the bound (a stderr that stalls), new ones are dropped and
// counted rather than slowing every request down to the speed of the log.
type AccessLog struct {
	w     io.Writer
	text  bool
	level slog.Level // lines below it are not written
	max   int        // lines waiting to be written at most
	// linger is accessLogLinger; a field so that a test can hold a batch.
	linger time.Duration

	mu      sync.Mutex
	pending []byte // whole lines, in the order requests logged them
	lines   int    // in pending

	writeMu sync.Mutex // held from taking a batch to writing it: batches leave in order
	spare   []byte     // the last batch's buffer, reused

	wake    chan struct{} // holds a signal while lines wait for the writer
	quit    chan struct{}
	dropped atomic.Uint64
	onDrop  func() // counts a dropped line in the metrics; may be nil
	done    chan struct{}
	close   sync.Once
}

// AccessLogOptions configures NewAccessLog. Zero fields take defaults.
type AccessLogOptions struct {
	Text  bool       // logfmt-like text instead of JSON, as log.format = text
	Level slog.Level // the configured log level: requests log at info, 5xx at warn
	Queue int        // lines waiting to be written at most; default DefaultAccessLogQueue
}

// DefaultAccessLogQueue is how many access log lines may wait for the
// writer before new ones are dropped: about 4 MB, a fraction of a second
// at full speed.
const DefaultAccessLogQueue = 16 << 10

// accessLogLinger is how long the writer waits after a batch's first line
// before writing it: at tens of thousands of requests a second, a hundred
// lines a write; a quiet server's lines still appear at once to a reader.
const accessLogLinger = 2 * time.Millisecond

// accessLogKeep is the largest batch buffer kept for reuse: a burst that
// grew one larger gives it back, so the log's memory stays flat.
const accessLogKeep = 256 << 10

// accessRecord is what a request logs.
type accessRecord struct {
	at         time.Time
	requestID  string
	method     string
	route      string
	ip         string
	errorCode  string
	elapsed    time.Duration
	status     int
	bytes      int
	serverSide bool // a 5xx: logged at warn
}

// NewAccessLog starts the writer of an access log to w. Close stops it.
// w should be safe to share with other loggers writing to it (see
// LockedWriter): the access log writes whole lines only.
func NewAccessLog(w io.Writer, opts AccessLogOptions) *AccessLog {
	if opts.Queue <= 0 {
		opts.Queue = DefaultAccessLogQueue
	}
	l := &AccessLog{
		w:      w,
		text:   opts.Text,
		level:  opts.Level,
		max:    opts.Queue,
		linger: accessLogLinger,
		wake:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go l.run()
	return l
}

// Dropped is how many lines were dropped because too many were waiting.
func (l *AccessLog) Dropped() uint64 { return l.dropped.Load() }

// Close writes what is waiting and stops the writer. Requests must have
// stopped: a line logged after Close is lost.
func (l *AccessLog) Close() {
	l.close.Do(func() { close(l.quit) })
	<-l.done
}

// enabled reports whether a request with this status makes a line.
func (l *AccessLog) enabled(status int) bool {
	if l == nil {
		return false
	}
	if status >= 500 {
		return l.level <= slog.LevelWarn
	}
	return l.level <= slog.LevelInfo
}

// log adds r's line, or drops it when too many are waiting.
func (l *AccessLog) log(r *accessRecord) {
	l.mu.Lock()
	if l.lines >= l.max {
		l.mu.Unlock()
		l.dropped.Add(1)
		if l.onDrop != nil {
			l.onDrop()
		}
		return
	}
	first := l.lines == 0
	l.pending = l.format(l.pending, r)
	l.lines++
	l.mu.Unlock()
	if first {
		select {
		case l.wake <- struct{}{}:
		default: // the writer has been told already
		}
	}
}

// Sync writes out every line logged before it.
func (l *AccessLog) Sync() { l.flush() }

func (l *AccessLog) run() {
	defer close(l.done)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		select {
		case <-l.wake:
		case <-l.quit:
			l.flush()
			return
		}
		linger.Reset(l.linger)
		select {
		case <-linger.C:
		case <-l.quit:
			l.flush()
			return
		}
		l.flush()
	}
}

// flush takes the waiting lines and writes them in one call.
func (l *AccessLog) flush() {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	batch := l.pending
	l.pending, l.lines = l.spare[:0], 0
	l.mu.Unlock()
	if len(batch) > 0 {
		l.w.Write(batch) // a failing stderr has nowhere to report to
	}
	l.spare = nil
	if cap(batch) <= accessLogKeep {
		l.spare = batch
	}
}

// format appends r as one line, with the keys and order slog would give.
func (l *AccessLog) format(b []byte, r *accessRecord) []byte {
	level := "INFO"
	if r.serverSide {
		level = "WARN"
	}
	if l.text {
		b = append(b, "time="...)
		b = r.at.AppendFormat(b, time.RFC3339Nano)
		b = append(b, " level="...)
		b = append(b, level...)
		b = append(b, " msg=request request_id="...)
		b = appendTextValue(b, r.requestID)
		b = append(b, " method="...)
		b = appendTextValue(b, r.method)
		b = append(b, " route="...)
		b = appendTextValue(b, r.route)
		b = append(b, " status="...)
		b = strconv.AppendInt(b, int64(r.status), 10)
		b = append(b, " duration_ms="...)
		b = strconv.AppendFloat(b, float64(r.elapsed.Microseconds())/1000, 'f', -1, 64)
		b = append(b, " ip="...)
		b = appendTextValue(b, r.ip)
		b = append(b, " bytes="...)
		b = strconv.AppendInt(b, int64(r.bytes), 10)
		if r.errorCode != "" {
			b = append(b, " error_code="...)
			b = appendTextValue(b, r.errorCode)
		}
		return append(b, '\n')
	}
	b = append(b, `{"time":"`...)
	b = r.at.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"`...)
	b = append(b, level...)
	b = append(b, `","msg":"request","request_id":`...)
	b = appendJSONString(b, r.requestID)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, r.method)
	b = append(b, `,"route":`...)
	b = appendJSONString(b, r.route)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.status), 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(r.elapsed.Microseconds())/1000, 'f', -1, 64)
	b = append(b, `,"ip":`...)
	b = appendJSONString(b, r.ip)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(r.bytes), 10)
	if r.errorCode != "" {
		b = append(b, `,"error_code":`...)
		b = appendJSONString(b, r.errorCode)
	}
	return append(b, "}\n"...)
}

// appendTextValue appends s bare when it needs no quoting (our values are
// route templates, ids of safe characters, addresses and codes), quoted
// otherwise.
func appendTextValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '"' || c == '=' || c >= 0x7f {
			return strconv.AppendQuote(b, s)
		}
	}
	if s == "" {
		return append(b, `""`...)
	}
	return append(b, s...)
}

// LockedWriter serializes writes to w, so that the access log's batches
// and other loggers' lines sharing one stderr never interleave.
type LockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLockedWriter wraps w.
func NewLockedWriter(w io.Writer) *LockedWriter { return &LockedWriter{w: w} }

func (l *LockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
