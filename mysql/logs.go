package mysql

import (
	"fmt"
	"log/slog"

	"github.com/go-sql-driver/mysql"
)

// RouteDriverLogs sends go-sql-driver's own log lines ("closing bad idle
// connection" and the like) to logger at Warn, instead of plain text on
// stderr among our JSON lines. The driver keeps its logger in a
// process-wide variable, so call this once at start-up.
func RouteDriverLogs(logger *slog.Logger) {
	mysql.SetLogger(driverLogger{logger})
}

type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Print(v ...any) {
	l.log.Warn(fmt.Sprint(v...), "component", "go-sql-driver")
}
