package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/miniauth/miniauth/wxsim"
)

// appFlags collects repeated --app APPID:SECRET.
type appFlags map[string]string

func (a appFlags) String() string { return fmt.Sprint(map[string]string(a)) }

func (a appFlags) Set(v string) error {
	id, secret, err := wxsim.ParseApp(v)
	if err != nil {
		return err
	}
	a[id] = secret
	return nil
}

func wxsimCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wxsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	apps := appFlags{}
	fs.Var(apps, "app", "a mini program the simulator knows, APPID:SECRET (repeatable; default the dev app)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	sim := wxsim.New(wxsim.Options{Apps: apps})
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "wxsim listening on %s\n", baseURL(ln.Addr()))
	return serveUntilDone(ctx, srv, ln, 5*time.Second)
}

// serveUntilDone serves until ctx ends, then lets in-flight requests finish
// (up to grace).
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// baseURL is how a client on this machine reaches a listener.
func baseURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}
