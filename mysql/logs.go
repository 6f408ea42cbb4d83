package mysql

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/go-sql-driver/mysql"
)

// RouteDriverLogs sends go-sql-driver's own log lines ("closing bad idle
// connection" and the like) to logger at Warn, instead of plain text on
// stderr among our JSON lines. The driver keeps its logger in a
// process-wide variable, so the first call wins: later ones (more nodes in one
// test process) change nothing.
func RouteDriverLogs(logger *slog.Logger) {
	driverLogsOnce.Do(func() { mysql.SetLogger(driverLogger{logger}) })
}

var driverLogsOnce sync.Once

type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Print(v ...any) {
	l.log.Warn(fmt.Sprint(v...), "component", "go-sql-driver")
}
