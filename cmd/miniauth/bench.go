package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/miniauth/miniauth/internal/loadtest"
	"github.com/miniauth/miniauth/wxsim"
)

// benchCommand starts a dev-mode server as a child process (so that its
// memory is its own) and load-tests it over loopback.
func benchCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := loadtest.Options{AppID: wxsim.DevAppID}
	fs.IntVar(&o.Concurrency, "c", 64, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "measured time per scenario")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured warm-up per scenario")
	fs.IntVar(&o.Sessions, "sessions", 1000, "distinct tokens the verify scenario cycles through")
	fs.IntVar(&o.Rounds, "rounds", 1, "how many times to run the three scenarios")
	db := fs.String("db", "", "database URL for the server (postgres://..., mysql://...); default SQLite in a temporary dir")
	redisURL := fs.String("redis", "", "Redis URL for the server's sessions (redis://host:port/db); default none")
	serverURL := fs.String("url", "", "load-test a dev-mode server already running at this URL instead of starting one")
	scenarios := fs.String("scenarios", "healthz,verify,login", "which scenarios to run, comma-separated")
	keepLogs := fs.Bool("logs", false, "keep the server's access log (written to its temporary dir)")
	tokenFormat := fs.String("token-format", "opaque", "the server's access tokens: opaque or jwt")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	for _, sc := range strings.Split(*scenarios, ",") {
		switch sc = strings.TrimSpace(sc); sc {
		case "healthz", "verify", "login":
			o.Scenarios = append(o.Scenarios, sc)
		default:
			fmt.Fprintf(stderr, "bench: unknown scenario %q (healthz, verify, login)\n", sc)
			return errUsage
		}
	}

	var memory *memorySampler
	if *serverURL == "" {
		srv, err := startBenchServer(ctx, environ, *db, *redisURL, *tokenFormat, *keepLogs, stderr)
		if err != nil {
			return err
		}
		defer srv.stop()
		o.URL = srv.url
		memory = &memorySampler{pid: srv.cmd.Process.Pid}
		o.Sample = memory.sample
		memory.sample()
		fmt.Fprintf(stdout, "server: %s (pid %d), db %s, redis %s\n", srv.url, srv.cmd.Process.Pid, orDefault(*db, "sqlite"), orDefault(*redisURL, "none"))
	} else {
		o.URL = strings.TrimRight(*serverURL, "/")
		fmt.Fprintf(stdout, "server: %s (already running)\n", o.URL)
	}
	fmt.Fprintf(stdout, "load: %d concurrent clients, %v per scenario after %v warm-up, %d verify tokens, %d round(s)\n\n",
		o.Concurrency, o.Duration, o.Warmup, o.Sessions, o.Rounds)

	results, err := loadtest.Run(ctx, o)
	if err != nil {
		return err
	}
	report(stdout, results, memory)
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func report(w io.Writer, results []loadtest.Result, memory *memorySampler) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\treq/s\tp50\tp99\trequests\terrors\t")
	sums := map[string]float64{}
	counts := map[string]float64{}
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.0f\t%v\t%v\t%d\t%d\t\n", r.Name, r.PerSecond, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Requests, r.Errors)
		sums[r.Name] += r.PerSecond
		counts[r.Name]++
	}
	tw.Flush()
	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(w, "first error in %s: %s\n", r.Name, r.FirstError)
		}
	}
	mean := func(prefix string) float64 {
		for name, s := range sums {
			if strings.HasPrefix(name, prefix) {
				return s / counts[name]
			}
		}
		return 0
	}
	healthz, verify, login := mean("GET /healthz"), mean("GET /api/v1/auth/verify"), mean("full login")
	fmt.Fprintln(w)
	if healthz > 0 {
		fmt.Fprintf(w, "verify / healthz throughput: %.2f\n", verify/healthz)
	}
	fmt.Fprintf(w, "full logins per second: %.0f\n", login)
	if memory != nil {
		fmt.Fprintf(w, "server memory (RSS): peak %.1f MB, last %.1f MB\n", float64(memory.peak.Load())/1e6, float64(memory.last.Load())/1e6)
	}
}

type benchServer struct {
	cmd  *exec.Cmd
	url  string
	dir  string
	done chan error
}

func startBenchServer(ctx context.Context, environ []string, db, redisURL, tokenFormat string, keepLogs bool, stderr io.Writer) (*benchServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "miniauth-bench-")
	if err != nil {
		return nil, err
	}
	env := []string{}
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "MINIAUTH_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"MINIAUTH_HTTP_ADDR=127.0.0.1:0",
		"MINIAUTH_DATA_DIR="+dir,
		"MINIAUTH_HTTP_AUTH_RATE=0", // one client IP makes every request: the per-IP limit would measure itself
		"MINIAUTH_TOKENS_FORMAT="+tokenFormat,
	)
	if db != "" {
		env = append(env, "MINIAUTH_DB_URL="+db)
	}
	if redisURL != "" {
		env = append(env, "MINIAUTH_REDIS_URL="+redisURL)
	}
	cmd := exec.Command(self, "serve")
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logs := io.Discard
	if keepLogs {
		f, err := os.Create(dir + "/server.log")
		if err != nil {
			return nil, err
		}
		logs = f
		fmt.Fprintf(stderr, "server log: %s\n", f.Name())
	}
	cmd.Stderr = logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServer{cmd: cmd, dir: dir, done: make(chan error, 1)}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "miniauth listening on "); ok {
				urlc <- u
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.url = <-urlc:
		return s, nil
	case err := <-s.done:
		os.RemoveAll(dir)
		return nil, fmt.Errorf("the server exited before listening: %v", err)
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, errors.New("the server did not start within 30s")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

func (s *benchServer) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// memorySampler reads a process's resident memory from /proc.
type memorySampler struct {
	pid        int
	peak, last atomic.Int64
}

func (m *memorySampler) sample() {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(m.pid) + "/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return
			}
			rss := kb * 1024
			m.last.Store(rss)
			for {
				p := m.peak.Load()
				if rss <= p || m.peak.CompareAndSwap(p, rss) {
					break
				}
			}
		}
	}
}
