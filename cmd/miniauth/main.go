// Command miniauth is the login service for WeChat mini programs.
//
//	miniauth [serve] [--config FILE]   run the server (dev mode when no app is configured)
//	miniauth wxsim --addr HOST:PORT [--app [PLATFORM:]APPID:SECRET]...
//	miniauth bench [flags]             load-test a dev-mode server over loopback
//	miniauth operator add|passwd|remove|list [NAME]   manage the console's operators
//	miniauth version
//
// main only wires the packages together; everything it starts is stopped
// when ctx ends.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "miniauth:", err)
		}
		os.Exit(1)
	}
}

// errUsage means the usage was printed already.
var errUsage = errors.New("usage")

const usage = `miniauth: the login service for WeChat mini programs

Usage:
  miniauth [serve] [--config FILE]     run the server; dev mode when no app is configured
  miniauth wxsim --addr HOST:PORT [--app [PLATFORM:]APPID:SECRET]... [--alipay-gateway-key FILE]
                                       run the simulator of every platform alone
  miniauth bench [flags]               start a server and load-test it over loopback
  miniauth operator add|passwd|remove NAME, operator list
                                       manage the operators of the console at /admin/
                                       (passwords from standard input)
  miniauth version                     print the version

Configuration: an optional TOML file, every key overridable by MINIAUTH_<SECTION>_<KEY>.
See the README for the table of settings.
`

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	return runWithInput(ctx, args, environ, os.Stdin, stdout, stderr)
}

// runWithInput is run with the standard input given (operator passwords).
func runWithInput(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, args, environ, stdout, stderr)
	case "wxsim":
		return wxsimCommand(ctx, args, stdout, stderr)
	case "bench":
		return benchCommand(ctx, args, environ, stdout, stderr)
	case "bench-bare": // hidden: the bench's yardstick, a bare gin route
		return benchBareCommand(ctx, args, stdout, stderr)
	case "seed": // hidden: fills a database for the bench
		return seedCommand(ctx, args, stdout, stderr)
	case "operator":
		return operatorCommand(ctx, args, environ, stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "miniauth", versionString())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "miniauth: unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}

func versionString() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}
