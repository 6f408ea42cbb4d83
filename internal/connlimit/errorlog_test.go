package connlimit

import (
	"encoding/json"
	"github.com/miniauth/miniauth/internal/testkit"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestErrorLogWritesAtMostOneLinePerIntervalAndCountsTheRest(t *testing.T) {
	var out testkit.LogBuffer
	const interval = 50 * time.Millisecond
	errorLog := ErrorLog(slog.New(slog.NewJSONHandler(&out, nil)), interval)
	const burst = 1000
	start := time.Now()
	for range burst {
		errorLog.Printf("http: Accept error: accept tcp: too many open files; retrying in 5ms")
	}
	written := time.Since(start)
	time.Sleep(3 * interval) // the closing line

	lines := out.Lines()
	total := 0
	for _, line := range lines {
		var entry struct {
			Level      string `json:"level"`
			Msg        string `json:"msg"`
			Suppressed int    `json:"suppressed"`
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if entry.Level != "WARN" || !strings.Contains(entry.Msg, "too many open files") {
			t.Errorf("line: %s", line)
		}
		total += 1 + entry.Suppressed
	}
	if total != burst {
		t.Errorf("lines written plus suppressed = %d, want %d:\n%s", total, burst, strings.Join(lines, "\n"))
	}
	if maxLines := 2 + int(written/interval); len(lines) > maxLines {
		t.Errorf("%d lines for a burst of %v; at most %d expected", len(lines), written, maxLines)
	}
	if len(lines) < 2 {
		t.Errorf("the suppressed lines were never reported: %v", lines)
	}
}
