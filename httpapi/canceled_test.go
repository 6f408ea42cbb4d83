package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// A request whose client went away is recorded as 499, not as an outage
// (503) nor as our fault (500), and is not logged as an error.
func TestCanceledIs499(t *testing.T) {
	var logs bytes.Buffer
	s, err := New(Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.engine.GET("/gone", func(c *gin.Context) {
		s.fail(c, miniauth.WrapError(miniauth.ECanceled, "the request was canceled", context.Canceled))
	})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/gone", nil))
	if rec.Code != 499 || !strings.Contains(rec.Body.String(), `"code":"canceled"`) {
		t.Fatalf("answer: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) || strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("a client that went away is logged as a problem:\n%s", logs.String())
	}
}
