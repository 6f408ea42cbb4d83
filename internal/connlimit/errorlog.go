package connlimit

import (
	"context"
	"log"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DefaultErrorLogInterval is how often the server's error log may write.
const DefaultErrorLogInterval = time.Second

// ErrorLog returns a logger for http.Server.ErrorLog that passes at most one
// line per interval to logger, at warning level. When file descriptors run
// out, net/http logs an accept error every few milliseconds; the lines in
// between are counted, and the next line written says how many were
// suppressed (one closing line says so if the burst ends).
func ErrorLog(logger *slog.Logger, interval time.Duration) *log.Logger {
	if interval <= 0 {
		interval = DefaultErrorLogInterval
	}
	return log.New(&limitedWriter{logger: logger, interval: interval}, "", 0)
}

type limitedWriter struct {
	logger   *slog.Logger
	interval time.Duration

	mu         sync.Mutex
	last       time.Time // when a line was last written
	suppressed int       // lines dropped since then
	lastText   string    // the last of them
	flushing   bool      // a closing line is scheduled
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	text := strings.TrimRight(string(p), "\n")
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	if wait := w.interval - now.Sub(w.last); wait > 0 {
		w.suppressed++
		w.lastText = text
		if !w.flushing {
			w.flushing = true
			time.AfterFunc(wait, w.flush)
		}
		return len(p), nil
	}
	w.emit(text, now)
	return len(p), nil
}

// flush writes the last suppressed line, with the count of the others, once
// the interval has passed; later lines are limited from then on.
func (w *limitedWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushing = false
	if w.suppressed > 0 {
		w.suppressed-- // the line written now is no longer suppressed
		w.emit(w.lastText, time.Now())
	}
}

// emit writes text with the count of lines suppressed before it; w.mu is held.
func (w *limitedWriter) emit(text string, now time.Time) {
	attrs := []slog.Attr{slog.String("component", "http")}
	if w.suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", w.suppressed))
	}
	w.logger.LogAttrs(context.Background(), slog.LevelWarn, text, attrs...)
	w.last, w.suppressed, w.lastText = now, 0, ""
}
