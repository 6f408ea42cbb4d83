package config

import (
	"net"
	"strconv"
)

// Debug configures the profiling listener: Go's net/http/pprof on an
// address of its own, off by default. Profiles show the process's insides
// (stacks, allocation sites, the command line), so the address must be a
// loopback one: reach it through SSH or kubectl port-forward.
type Debug struct {
	Addr string `toml:"addr"` // host:port on loopback; empty: no listener
}

func (d Debug) validate(bad problemFunc) {
	if d.Addr == "" {
		return
	}
	host, port, err := net.SplitHostPort(d.Addr)
	if err != nil {
		bad("debug.addr", "%q is not host:port", d.Addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("debug.addr", "%q has no port number", d.Addr)
	}
	if !isLoopback(host) {
		bad("debug.addr", "must be a loopback address such as 127.0.0.1:6060 (profiles show the process's insides)")
	}
}

// isLoopback reports whether host names this machine only: localhost or
// a loopback IP. An empty host (":6060") listens on every interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
