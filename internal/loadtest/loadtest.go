// Package loadtest drives a miniauth server over loopback with many
// concurrent clients and reports throughput and latency for the routes that
// matter: the no-op /healthz (the yardstick), the verify hot path, and full
// logins (a code minted from the simulator, then the login). It backs
// `miniauth bench`.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a run against a server at URL whose simulator is at
// URL + "/_wxsim".
type Options struct {
	URL         string
	AppID       string
	Concurrency int           // concurrent clients, default 64
	Duration    time.Duration // per scenario, default 10s
	Warmup      time.Duration // per scenario, default 1s
	Sessions    int           // distinct tokens the verify scenario cycles through, default 1000
	Rounds      int           // scenario rounds (healthz, verify, login alternate), default 1
	// Scenarios picks which to run: "healthz", "verify", "login"; empty: all.
	Scenarios []string
	// Sample, when set, is called every 100 ms during the run (to sample the
	// server's memory).
	Sample func()
}

// Result is one scenario's figures.
type Result struct {
	Name       string
	Requests   int64
	Errors     int64
	Elapsed    time.Duration
	PerSecond  float64
	P50, P99   time.Duration
	FirstError string
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	} else if o.Warmup == 0 {
		o.Warmup = time.Second
	}
	if o.Sessions <= 0 {
		o.Sessions = 1000
	}
	if o.Rounds <= 0 {
		o.Rounds = 1
	}
}

// Run runs every scenario Rounds times and returns the results in the
// order they ran.
func Run(ctx context.Context, o Options) ([]Result, error) {
	o.defaults()
	client := &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        o.Concurrency * 2,
			MaxIdleConnsPerHost: o.Concurrency * 2,
			IdleConnTimeout:     time.Minute,
		},
		Timeout: 10 * time.Second,
	}
	d := &driver{opts: o, client: client}

	var tokens []string
	if o.wants("verify") {
		var err error
		if tokens, err = d.prepareTokens(ctx); err != nil {
			return nil, fmt.Errorf("preparing %d sessions: %w", o.Sessions, err)
		}
	}
	// The GET scenarios go through lean kept-alive connections, one per
	// worker (see rawGetter); logins use net/http.
	d.getters = make([]*rawGetter, o.Concurrency)
	for w := range d.getters {
		g, err := newRawGetter(o.URL)
		if err != nil {
			return nil, err
		}
		defer g.close()
		d.getters[w] = g
	}
	d.healthzRequest = d.getters[0].request("/healthz", "")
	verifyRequests := make([][]byte, len(tokens))
	for i, tok := range tokens {
		verifyRequests[i] = d.getters[0].request("/api/v1/auth/verify", tok)
	}

	var results []Result
	for round := 0; round < o.Rounds; round++ {
		for _, sc := range []struct {
			key, name string
			op        func(ctx context.Context, worker, i int) error
		}{
			{"healthz", "GET /healthz", func(ctx context.Context, worker, _ int) error {
				return d.getters[worker].get(ctx, d.healthzRequest)
			}},
			{"verify", "GET /api/v1/auth/verify", func(ctx context.Context, worker, i int) error {
				return d.getters[worker].get(ctx, verifyRequests[(worker*7919+i)%len(verifyRequests)])
			}},
			{"login", "full login (mint code + POST /api/v1/auth/login)", func(ctx context.Context, _, _ int) error {
				_, err := d.login(ctx)
				return err
			}},
		} {
			if !o.wants(sc.key) {
				continue
			}
			r, err := d.scenario(ctx, sc.name, sc.op)
			if err != nil {
				return results, err
			}
			results = append(results, r)
		}
	}
	return results, nil
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

type driver struct {
	opts           Options
	client         *http.Client
	getters        []*rawGetter
	healthzRequest []byte
}

func (d *driver) prepareTokens(ctx context.Context) ([]string, error) {
	tokens := make([]string, d.opts.Sessions)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, d.opts.Concurrency)
	for w := 0; w < min(d.opts.Concurrency, d.opts.Sessions); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tokens) {
					return
				}
				tok, err := d.login(ctx)
				if err != nil {
					errc <- err
					return
				}
				tokens[i] = tok
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	return tokens, nil
}

// scenario runs op from Concurrency workers: Warmup first (not counted),
// then Duration.
func (d *driver) scenario(ctx context.Context, name string, op func(ctx context.Context, worker, i int) error) (Result, error) {
	var measuring atomic.Bool
	var requests, failures atomic.Int64
	var firstErr atomic.Value
	latencies := make([][]time.Duration, d.opts.Concurrency)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	for w := 0; w < d.opts.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			for i := 0; runCtx.Err() == nil; i++ {
				start := time.Now()
				err := op(runCtx, w, i)
				if runCtx.Err() != nil {
					break
				}
				if !measuring.Load() {
					continue
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				requests.Add(1)
				lat = append(lat, time.Since(start))
			}
			latencies[w] = lat
		}()
	}
	stopSampling := d.sample(runCtx)
	defer stopSampling()
	if !sleep(ctx, d.opts.Warmup) {
		cancel()
		wg.Wait()
		return Result{}, ctx.Err()
	}
	measuring.Store(true)
	start := time.Now()
	sleep(ctx, d.opts.Duration)
	measuring.Store(false)
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}

	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := Result{
		Name:      name,
		Requests:  requests.Load(),
		Errors:    failures.Load(),
		Elapsed:   elapsed,
		PerSecond: float64(requests.Load()) / elapsed.Seconds(),
		P50:       percentile(all, 0.50),
		P99:       percentile(all, 0.99),
	}
	if v := firstErr.Load(); v != nil {
		r.FirstError = v.(string)
	}
	return r, nil
}

func (d *driver) sample(ctx context.Context) (stop func()) {
	if d.opts.Sample == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				d.opts.Sample()
			}
		}
	}()
	return func() { <-done }
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

// login mints a code as wx.login() would and logs in with it; it returns
// the access token.
func (d *driver) login(ctx context.Context) (string, error) {
	body, err := d.do(ctx, http.MethodPost, "/_wxsim/_sim/login-code", "", map[string]string{"appid": d.opts.AppID}, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("minting a code: %w", err)
	}
	var minted struct{ Code string }
	if err := json.Unmarshal(body, &minted); err != nil || minted.Code == "" {
		return "", fmt.Errorf("minting a code: unexpected answer %q", body)
	}
	body, err = d.do(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"code": minted.Code}, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tokens); err != nil || tokens.AccessToken == "" {
		return "", fmt.Errorf("login: unexpected answer %q", body)
	}
	return tokens.AccessToken, nil
}

func (d *driver) do(ctx context.Context, method, path, token string, body any, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.opts.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, errors.New(resp.Status + ": " + string(bytes.TrimSpace(b)))
	}
	return b, nil
}
