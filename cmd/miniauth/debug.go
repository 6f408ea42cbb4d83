package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// debugServer is the profiling listener of debug.addr: Go's pprof
// handlers on a mux of their own (never http.DefaultServeMux, which any
// imported package may add to) and an address apart from the API's, so
// that neither a gateway nor a client ever reaches it.
type debugServer struct {
	URL    string // http://host:port
	server *http.Server
}

// startDebug listens on addr and serves the profiles. A CPU profile or an
// execution trace streams for as long as its seconds parameter asks, so
// writes get a deadline well past pprof's own 30 s default.
func startDebug(addr string, logger *slog.Logger) (*debugServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug listener on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	d := &debugServer{
		URL: baseURL(ln.Addr()),
		server: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			WriteTimeout:      5 * time.Minute,
			MaxHeaderBytes:    maxHeaderBytes,
		},
	}
	go d.server.Serve(ln)
	logger.Info("debug listener started: profiles at /debug/pprof/", "url", d.URL)
	return d, nil
}

// close stops the listener and any profile still streaming.
func (d *debugServer) close() {
	if d != nil {
		d.server.Close()
	}
}
