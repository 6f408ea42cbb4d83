package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// RouteDriverLogs sends go-redis's own log lines (failed dials during an
// outage, one per request) to logger at Warn, instead of plain text on
// stderr among our JSON lines. go-redis keeps its logger in a process-wide
// variable, so the first call wins: later ones (more nodes in one
// test process) change nothing.
func RouteDriverLogs(logger *slog.Logger) {
	driverLogsOnce.Do(func() { goredis.SetLogger(driverLogger{logger}) })
}

var driverLogsOnce sync.Once

type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}
