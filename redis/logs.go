package redis

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
)

// RouteDriverLogs sends go-redis's own log lines (failed dials during an
// outage, one per request) to logger at Warn, instead of plain text on
// stderr among our JSON lines. go-redis keeps its logger in a process-wide
// variable, so call this once at start-up.
func RouteDriverLogs(logger *slog.Logger) {
	goredis.SetLogger(driverLogger{logger})
}

type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}
