// Package loadtest drives a miniauth server over loopback with many
// concurrent clients and reports, for each scenario, throughput, latency,
// the server's CPU time per request and its ratio to a bare gin route
// measured beside it in the same run. It backs `miniauth bench`.
//
// Scenarios run in interleaved rounds (bare, healthz, verify, me, login,
// relogin, then again), so that the machine's drift touches them all alike; ratios
// are taken within a round and reported as medians over the rounds.
package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultConcurrency = 64
	DefaultDuration    = 5 * time.Second
	DefaultWarmup      = time.Second
	DefaultSessions    = 1000
	DefaultRounds      = 3
	sampleEvery        = 100 * time.Millisecond
)

// Target is a process under load: its URL, and its pid for CPU time and
// memory (0: unknown, those figures are left out).
type Target struct {
	URL string
	PID int
}

// Options configure a run.
type Options struct {
	Server Target
	Bare   Target // the bare gin route; empty URL: no bare scenario
	SimURL string // where codes are minted; default Server.URL + "/_wxsim"
	AppID  string

	Concurrency int           // concurrent clients, default DefaultConcurrency
	Duration    time.Duration // measured time per scenario and round, default DefaultDuration
	Warmup      time.Duration // unmeasured time before each, default DefaultWarmup; negative: none
	Rounds      int           // default DefaultRounds
	// Tokens are the access tokens verify and me draw from, uniformly (a
	// seeded database's). Empty: Sessions logins are made first.
	Tokens   []string
	Sessions int
	// SessionsAfter delays the logins that make those sessions. A node
	// checks sessions made within redis.clock_skew of its first sight of a
	// Redis against the database on every cache miss (they might predate a
	// Redis restart); sessions made after that window measure the steady
	// state.
	SessionsAfter time.Duration
	// Scenarios picks which to run, in this order: bare, healthz, verify,
	// me, login (a new user), relogin (a returning one). Empty: all.
	Scenarios []string
	// Mixed, when positive, runs that many mixed requests (verify, me,
	// login, refresh) after the rounds, sampling the server's memory.
	Mixed int
	// Profiles, when set, profiles the server's CPU over each measured
	// span of its scenarios (not the bare route's).
	Profiles *Profiles
}

// Result is one scenario's figures in one round.
type Result struct {
	Scenario   string        `json:"scenario"`
	Round      int           `json:"round"`
	Requests   int64         `json:"requests"`
	Errors     int64         `json:"errors"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	PerSecond  float64       `json:"req_per_s"`
	P50        time.Duration `json:"p50_ns"`
	P99        time.Duration `json:"p99_ns"`
	CPUMicros  float64       `json:"cpu_us_per_request"` // the target's CPU time per request; 0: unknown
	FirstError string        `json:"first_error,omitempty"`
}

// Report is a whole run.
type Report struct {
	Results []Result  `json:"rounds"`
	Memory  RSSWindow `json:"server_rss"` // over the whole run
	Mixed   *MixedRun `json:"mixed,omitempty"`
	Tokens  int       `json:"tokens"`
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	if o.Warmup == 0 {
		o.Warmup = DefaultWarmup
	}
	o.Warmup = max(o.Warmup, 0)
	if o.Sessions <= 0 {
		o.Sessions = DefaultSessions
	}
	if o.Rounds <= 0 {
		o.Rounds = DefaultRounds
	}
	if o.SimURL == "" {
		o.SimURL = o.Server.URL + "/_wxsim"
	}
}

// Run runs the scenarios in Rounds interleaved rounds, then the mixed run.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	d, err := newDriver(o)
	if err != nil {
		return nil, err
	}
	defer d.close()
	rep := &Report{}
	stopSampling := d.sampleMemory(&rep.Memory)
	defer stopSampling()
	if o.wants("verify") || o.wants("me") || o.Mixed > 0 {
		if err := d.prepareTokens(ctx); err != nil {
			return nil, err
		}
	}
	rep.Tokens = len(d.tokens)
	if o.wants(ScenarioRelogin) {
		if err := d.prepareReturningUsers(ctx); err != nil {
			return nil, err
		}
	}
	for round := 1; round <= o.Rounds; round++ {
		for _, sc := range d.scenarios() {
			if !o.wants(sc.name) || (sc.target.URL == "") {
				continue
			}
			r, err := d.measure(ctx, sc, round)
			if err != nil {
				return rep, err
			}
			rep.Results = append(rep.Results, r)
		}
	}
	if o.Mixed > 0 {
		if rep.Mixed, err = d.mixed(ctx); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (o *Options) wants(scenario string) bool {
	if len(o.Scenarios) == 0 {
		return true
	}
	for _, s := range o.Scenarios {
		if s == scenario {
			return true
		}
	}
	return false
}

// worker is one concurrent client: its own connections and random source.
type worker struct {
	server, bare, sim *rawClient
	rng               *rand.Rand
	start             time.Time // when the timed part of the current request began
	req               []byte    // scratch for requests built per call
	refresh           string    // its own session's refresh token (mixed run)
}

// scenario is one measured operation on target.
type scenario struct {
	name   string
	target Target
	op     func(ctx context.Context, w *worker) error
}

// measure runs sc.op from every worker: Warmup first (not counted), then
// Duration, reading the target's CPU time at both ends of the measured span.
func (d *driver) measure(ctx context.Context, sc scenario, round int) (Result, error) {
	t := &tally{latencies: make([][]time.Duration, len(d.workers))}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, w := range d.workers {
		wg.Go(func() { t.latencies[i] = t.load(runCtx, sc, w) })
	}
	if !sleep(ctx, d.o.Warmup) {
		cancel()
		wg.Wait()
		return Result{}, ctx.Err()
	}
	profiled := func() error { return nil }
	if sc.target == d.o.Server {
		profiled = d.o.Profiles.start(ctx, sc.name, round, d.o.Duration)
	}
	cpu0, cpuOK := CPUTime(sc.target.PID)
	t.measuring.Store(true)
	start := time.Now()
	sleep(ctx, d.o.Duration)
	t.measuring.Store(false)
	elapsed := time.Since(start)
	cpu1, _ := CPUTime(sc.target.PID)
	cancel()
	wg.Wait()
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	if err := profiled(); err != nil {
		return Result{}, err
	}
	r := t.result(sc.name, elapsed)
	r.Round = round
	if cpuOK && sc.target.PID != 0 && r.Requests > 0 {
		r.CPUMicros = float64((cpu1 - cpu0).Microseconds()) / float64(r.Requests)
	}
	return r, nil
}

// tally counts one scenario's requests while measuring is on.
type tally struct {
	measuring          atomic.Bool
	requests, failures atomic.Int64
	firstErr           atomic.Value
	latencies          [][]time.Duration // one slice per worker
}

// load sends w's requests until ctx ends and answers their latencies.
func (t *tally) load(ctx context.Context, sc scenario, w *worker) []time.Duration {
	lat := make([]time.Duration, 0, 1<<14)
	for ctx.Err() == nil {
		w.start = time.Now()
		err := sc.op(ctx, w)
		if ctx.Err() != nil || !t.measuring.Load() {
			continue
		}
		if err != nil {
			t.failures.Add(1)
			t.firstErr.CompareAndSwap(nil, err.Error())
			continue
		}
		t.requests.Add(1)
		lat = append(lat, time.Since(w.start))
	}
	return lat
}

func (t *tally) result(name string, elapsed time.Duration) Result {
	var all []time.Duration
	for _, l := range t.latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := Result{
		Scenario:  name,
		Requests:  t.requests.Load(),
		Errors:    t.failures.Load(),
		Elapsed:   elapsed,
		PerSecond: float64(t.requests.Load()) / elapsed.Seconds(),
		P50:       percentile(all, 0.50),
		P99:       percentile(all, 0.99),
	}
	if v := t.firstErr.Load(); v != nil {
		r.FirstError = v.(string)
	}
	return r
}

// sampleMemory samples the server's memory into w until stop is called.
func (d *driver) sampleMemory(w *RSSWindow) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			w.sample(d.o.Server.PID)
			select {
			case <-done:
				w.sample(d.o.Server.PID)
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-stopped }) }
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func wrapf(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}
