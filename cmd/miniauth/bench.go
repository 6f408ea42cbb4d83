package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/loadtest"
	"github.com/miniauth/miniauth/internal/seed"
	"github.com/miniauth/miniauth/wxsim"
)

// benchFlags are what `miniauth bench` takes beyond loadtest.Options.
type benchFlags struct {
	db, redis, data string
	url, sim        string
	pid             int
	scenarios, json string
	keepLogs        bool
	tokenFormat     string
	profile         string // a directory for CPU profiles
	debugURL        string // with url: the running server's debug listener
}

func parseBenchFlags(args []string, stderr io.Writer) (loadtest.Options, benchFlags, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := loadtest.Options{AppID: wxsim.DevAppID}
	var f benchFlags
	fs.IntVar(&o.Concurrency, "c", loadtest.DefaultConcurrency, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", loadtest.DefaultDuration, "measured time per scenario and round")
	fs.DurationVar(&o.Warmup, "warmup", loadtest.DefaultWarmup, "unmeasured warm-up per scenario and round")
	fs.IntVar(&o.Rounds, "rounds", loadtest.DefaultRounds, "interleaved rounds of the scenarios (figures are medians over them)")
	fs.IntVar(&o.Sessions, "sessions", loadtest.DefaultSessions, "sessions made by logging in for verify and me (without --data)")
	fs.IntVar(&o.Mixed, "mixed", 0, "after the rounds, send this many mixed requests (verify, me, login, refresh) and report the server's memory")
	fs.StringVar(&f.db, "db", "", "database URL for the server (postgres://..., mysql://...); default SQLite in a temporary dir, or the seeded one")
	fs.StringVar(&f.redis, "redis", "", "Redis URL for the server's sessions; default none, or the seeded one")
	fs.StringVar(&f.data, "data", "", "a directory filled by `miniauth seed`: its database and its sessions' tokens")
	fs.StringVar(&f.url, "url", "", "load-test a server already running at this URL instead of starting one")
	fs.StringVar(&f.sim, "sim", "", "with --url: the simulator that server uses (default URL/_wxsim, dev mode)")
	fs.IntVar(&f.pid, "pid", 0, "with --url: the server's pid, for its CPU time and memory")
	fs.StringVar(&f.scenarios, "scenarios", strings.Join(loadtest.Scenarios, ","), "which scenarios to run, comma-separated")
	fs.StringVar(&f.json, "json", "", "also write the figures to this file as JSON")
	fs.BoolVar(&f.keepLogs, "logs", false, "keep the server's log in a temporary file")
	fs.StringVar(&f.tokenFormat, "token-format", "opaque", "the server's access tokens: opaque or jwt")
	fs.StringVar(&f.profile, "profile", "", "write a CPU profile of the server over each measured span into this directory (<scenario>-<round>.pprof, for go tool pprof)")
	fs.StringVar(&f.debugURL, "debug-url", "", "with --url and --profile: the server's debug listener (debug.addr), e.g. http://127.0.0.1:6060")
	if err := fs.Parse(args); err != nil {
		return o, f, errUsage
	}
	if f.profile != "" && f.url != "" && f.debugURL == "" {
		fmt.Fprintln(stderr, "bench: --profile with --url needs --debug-url, the server's debug listener (debug.addr)")
		return o, f, errUsage
	}
	for _, sc := range strings.Split(f.scenarios, ",") {
		sc = strings.TrimSpace(sc)
		if !contains(loadtest.Scenarios, sc) {
			fmt.Fprintf(stderr, "bench: unknown scenario %q (%s)\n", sc, strings.Join(loadtest.Scenarios, ", "))
			return o, f, errUsage
		}
		o.Scenarios = append(o.Scenarios, sc)
	}
	return o, f, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// benchCommand starts the bare gin route, the simulator and a server, each
// in a process of its own, and load-tests them over loopback.
func benchCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	o, f, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	so := loadtest.StackOptions{Self: self, Environ: environ, Server: f.url == "", AppID: o.AppID, Secret: wxsim.DevSecret,
		TokenFormat: f.tokenFormat, Debug: f.profile != "",
		DB: f.db, Redis: f.redis, DataDir: f.data}
	if f.data != "" {
		if err := useSeed(&o, &so, f.data); err != nil {
			return err
		}
	} else if so.Server {
		if so.DataDir, err = loadtest.TempDataDir(); err != nil {
			return err
		}
		defer os.RemoveAll(so.DataDir)
	}
	if so.Server {
		// The server seals its tokens with the key beside its data, as
		// production's would with tokens.key_encryption_key: the one the
		// seed sealed its tokens with, or a new one.
		so.KeyEncryptionKeyFile = filepath.Join(so.DataDir, devKeyEncryptionKeyFile)
		if _, err := devKeyEncryptionKey(so.KeyEncryptionKeyFile); err != nil {
			return err
		}
	}
	if f.keepLogs && so.Server {
		logFile, err := os.CreateTemp("", "miniauth-bench-*.log")
		if err != nil {
			return err
		}
		defer logFile.Close()
		so.ServerLog = logFile
		fmt.Fprintf(stderr, "server log: %s\n", logFile.Name())
	}
	stack, err := loadtest.StartStack(ctx, so)
	if err != nil {
		return err
	}
	defer stack.Stop()
	aimAt(&o, stack, so, f, stdout)
	if o.Profiles, err = profilesFor(f, stack, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "load: %d clients, %d round(s) of %v after %v warm-up per scenario; %s\n\n",
		o.Concurrency, o.Rounds, o.Duration, o.Warmup, tokensLine(o))

	rep, err := loadtest.Run(ctx, o)
	if err != nil {
		return err
	}
	loadtest.Print(stdout, rep)
	if f.json == "" {
		return nil
	}
	return loadtest.WriteJSON(f.json, rep, map[string]any{
		"db": orDefault(so.DB, "sqlite"), "redis": so.Redis, "data": f.data, "clients": o.Concurrency,
		"rounds": o.Rounds, "duration_s": o.Duration.Seconds(), "time": time.Now().UTC(),
	})
}

// aimAt points the load at the stack's bare route and at its server, or
// at the server already running that the flags name, and says which.
func aimAt(o *loadtest.Options, stack *loadtest.Stack, so loadtest.StackOptions, f benchFlags, stdout io.Writer) {
	o.Bare = loadtest.Target{URL: stack.Bare.URL, PID: stack.Bare.PID}
	if !so.Server {
		o.Server = loadtest.Target{URL: strings.TrimRight(f.url, "/"), PID: f.pid}
		o.SimURL = strings.TrimRight(f.sim, "/")
		fmt.Fprintf(stdout, "server: %s (already running); bare gin route %s (pid %d)\n", o.Server.URL, o.Bare.URL, o.Bare.PID)
		return
	}
	if so.Redis != "" {
		// Sessions made within the node's clock-skew window of its Redis
		// would each be checked against the ledger on every cache miss.
		o.SessionsAfter = miniauth.DefaultClockSkew + time.Second
	}
	o.Server = loadtest.Target{URL: stack.Server.URL, PID: stack.Server.PID}
	o.SimURL = stack.Sim.URL
	fmt.Fprintf(stdout, "server: %s (pid %d), db %s, redis %s; simulator %s (pid %d); bare gin route %s (pid %d)\n",
		o.Server.URL, o.Server.PID, orDefault(so.DB, "sqlite"), orDefault(so.Redis, "none"), o.SimURL, stack.Sim.PID, o.Bare.URL, o.Bare.PID)
}

// profilesFor is what --profile asks for: nil without it.
func profilesFor(f benchFlags, stack *loadtest.Stack, stdout io.Writer) (*loadtest.Profiles, error) {
	if f.profile == "" {
		return nil, nil
	}
	if err := os.MkdirAll(f.profile, 0o755); err != nil {
		return nil, err
	}
	p := &loadtest.Profiles{DebugURL: orDefault(strings.TrimRight(f.debugURL, "/"), stack.DebugURL), Dir: f.profile}
	fmt.Fprintf(stdout, "CPU profiles of the server from %s into %s\n", p.DebugURL, p.Dir)
	return p, nil
}

// useSeed points the bench at a seeded data directory: its database and
// Redis (unless given), its app and its tokens.
func useSeed(o *loadtest.Options, so *loadtest.StackOptions, dir string) error {
	m, err := seed.ReadManifest(dir)
	if err != nil {
		return err
	}
	if time.Now().After(m.ExpiresAt) {
		return fmt.Errorf("the tokens seeded in %s expired at %v; seed again", dir, m.ExpiresAt)
	}
	so.DB, so.Redis = orDefault(so.DB, m.DB), orDefault(so.Redis, m.Redis)
	o.AppID, so.AppID = m.AppID, m.AppID
	o.Tokens, err = seed.ReadTokens(dir)
	return err
}

func tokensLine(o loadtest.Options) string {
	if len(o.Tokens) > 0 {
		return fmt.Sprintf("verify and me draw from %d seeded sessions", len(o.Tokens))
	}
	return fmt.Sprintf("verify and me draw from %d sessions made by logging in", o.Sessions)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// benchBareCommand serves the bench's yardstick, a bare gin route, until
// ctx ends.
func benchBareCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench-bare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: loadtest.BareHandler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "%s%s\n", loadtest.BareBanner, baseURL(ln.Addr()))
	return serveUntilDone(ctx, srv, ln, 5*time.Second)
}
