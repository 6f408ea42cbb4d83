package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// BareBanner starts the line on which the bare route says its URL.
const BareBanner = "bare gin route listening on "

// BarePath is the bare route.
const BarePath = "/bare"

// BareHandler is the yardstick of the bench: one gin route answering a
// small JSON object, without middleware, the most that gin on this machine
// can do. miniauth's routes are measured as fractions of it.
func BareHandler() http.Handler {
	gin.SetMode(gin.ReleaseMode) // gin's mode is process-wide; this process serves only the bare route
	r := gin.New()
	r.GET(BarePath, func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	return r
}

// ServeBare serves BareHandler on addr until ctx ends, after printing
// BareBanner and the URL to banner.
func ServeBare(ctx context.Context, addr string, banner io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: BareHandler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(banner, "%shttp://%s\n", BareBanner, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
