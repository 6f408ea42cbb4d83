package httpapi

import (
	"bufio"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// AccessLog writes one line per request, JSON (or logfmt-like text), from a
// goroutine of its own: a request only hands its record over to a bounded
// queue and never waits for the writer. When the queue is full (a stderr
// that stalls), records are dropped and counted rather than slowing every
// request down to the speed of the log.
type AccessLog struct {
	out     *bufio.Writer
	text    bool
	level   slog.Level // lines below it are not written
	queue   chan accessRecord
	dropped atomic.Uint64
	onDrop  func() // counts a dropped line in the metrics; may be nil
	done    chan struct{}
	close   sync.Once
}

// AccessLogOptions configures NewAccessLog. Zero fields take defaults.
type AccessLogOptions struct {
	Text  bool       // logfmt-like text instead of JSON, as log.format = text
	Level slog.Level // the configured log level: requests log at info, 5xx at warn
	Queue int        // records waiting to be written at most; default DefaultAccessLogQueue
}

// DefaultAccessLogQueue is how many access log records may wait for the
// writer before new ones are dropped: about 2 MB, a fraction of a second
// at full speed.
const DefaultAccessLogQueue = 16 << 10

// accessLogBuffer is the writer's buffer: lines go out in few large writes.
const accessLogBuffer = 64 << 10

// accessRecord is what a request hands over; the writer formats it.
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

	synced chan struct{} // set: no line; closed once what came before is written
}

// NewAccessLog starts the writer of an access log to w. Close stops it.
// w should be safe to share with other loggers writing to it (see
// LockedWriter): the access log writes whole lines only.
func NewAccessLog(w io.Writer, opts AccessLogOptions) *AccessLog {
	if opts.Queue <= 0 {
		opts.Queue = DefaultAccessLogQueue
	}
	l := &AccessLog{
		out:   bufio.NewWriterSize(w, accessLogBuffer),
		text:  opts.Text,
		level: opts.Level,
		queue: make(chan accessRecord, opts.Queue),
		done:  make(chan struct{}),
	}
	go l.run()
	return l
}

// Dropped is how many lines were dropped because the queue was full.
func (l *AccessLog) Dropped() uint64 { return l.dropped.Load() }

// Close writes what is queued and stops the writer. Requests must have
// stopped: a record handed over after Close is lost.
func (l *AccessLog) Close() {
	l.close.Do(func() { close(l.queue) })
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

// log queues r, or drops it when the queue is full.
func (l *AccessLog) log(r *accessRecord) {
	select {
	case l.queue <- *r:
	default:
		l.dropped.Add(1)
		if l.onDrop != nil {
			l.onDrop()
		}
	}
}

// Sync waits until every line queued before it is written out.
func (l *AccessLog) Sync() {
	synced := make(chan struct{})
	l.queue <- accessRecord{synced: synced}
	<-synced
}

func (l *AccessLog) run() {
	defer close(l.done)
	line := make([]byte, 0, 512)
	for r := range l.queue {
		if r.synced != nil {
			l.out.Flush()
			close(r.synced)
			continue
		}
		line = l.format(line[:0], &r)
		if len(line) > l.out.Available() {
			l.out.Flush() // never split a line over two writes
		}
		l.out.Write(line)
		// Flush once the queue is empty: a burst goes out in large writes,
		// a quiet server's lines still appear at once.
		if len(l.queue) == 0 {
			l.out.Flush()
		}
	}
	l.out.Flush()
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
