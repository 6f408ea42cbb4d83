package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario names, in the order a round runs them.
const (
	ScenarioBare    = "bare"
	ScenarioHealthz = "healthz"
	ScenarioVerify  = "verify"
	ScenarioMe      = "me"
	ScenarioLogin   = "login"
	ScenarioRelogin = "relogin"
)

// Scenarios lists every scenario in round order.
var Scenarios = []string{ScenarioBare, ScenarioHealthz, ScenarioVerify, ScenarioMe, ScenarioLogin, ScenarioRelogin}

// returningUsers is how many users the bench logs in first for relogin to
// log in again, when verify and me made none.
const returningUsers = 1000

// driver holds the workers and the prebuilt requests of a run.
type driver struct {
	o       Options
	workers []*worker
	tokens  []string
	openIDs []string // of users the bench logged in: relogin's

	bareRequest, healthzRequest, mintRequest []byte
}

func newDriver(o Options) (*driver, error) {
	d := &driver{o: o, tokens: o.Tokens}
	for i := range o.Concurrency {
		w := &worker{rng: rand.New(rand.NewPCG(uint64(i), 0x6d696e6961757468))}
		var err error
		if w.server, err = newRawClient(o.Server.URL); err != nil {
			return nil, err
		}
		if w.sim, err = newRawClient(o.SimURL); err != nil {
			return nil, err
		}
		if o.Bare.URL != "" {
			if w.bare, err = newRawClient(o.Bare.URL); err != nil {
				return nil, err
			}
			d.bareRequest = w.bare.request(http.MethodGet, BarePath, "", nil)
		}
		d.workers = append(d.workers, w)
	}
	w := d.workers[0]
	d.healthzRequest = w.server.request(http.MethodGet, "/healthz", "", nil)
	mint, _ := json.Marshal(map[string]string{"appid": o.AppID})
	d.mintRequest = w.sim.request(http.MethodPost, simPath(o.SimURL, "/_sim/login-code"), "", mint)
	return d, nil
}

// simPath is the path of a simulator endpoint below the simulator's URL
// (which may be mounted below a path, as /_wxsim in dev mode).
func simPath(simURL, endpoint string) string {
	u, err := url.Parse(simURL)
	if err != nil {
		return endpoint
	}
	return strings.TrimSuffix(u.Path, "/") + endpoint
}

func (d *driver) close() {
	for _, w := range d.workers {
		for _, c := range []*rawClient{w.server, w.bare, w.sim} {
			if c != nil {
				c.close()
			}
		}
	}
}

func (d *driver) scenarios() []scenario {
	return []scenario{
		{ScenarioBare, d.o.Bare, func(ctx context.Context, w *worker) error {
			_, err := w.bare.do(ctx, d.bareRequest, http.StatusOK)
			return err
		}},
		{ScenarioHealthz, d.o.Server, func(ctx context.Context, w *worker) error {
			_, err := w.server.do(ctx, d.healthzRequest, http.StatusOK)
			return err
		}},
		{ScenarioVerify, d.o.Server, func(ctx context.Context, w *worker) error {
			return d.get(ctx, w, "/api/v1/auth/verify", d.randomToken(w))
		}},
		{ScenarioMe, d.o.Server, func(ctx context.Context, w *worker) error {
			return d.get(ctx, w, "/api/v1/me", d.randomToken(w))
		}},
		{ScenarioLogin, d.o.Server, func(ctx context.Context, w *worker) error {
			_, err := d.login(ctx, w)
			return err
		}},
		{ScenarioRelogin, d.o.Server, func(ctx context.Context, w *worker) error {
			return d.relogin(ctx, w)
		}},
	}
}

// randomToken draws a token uniformly, so that with a million of them
// most calls miss any cache.
func (d *driver) randomToken(w *worker) string { return d.tokens[w.rng.IntN(len(d.tokens))] }

// get sends a GET with a bearer token, building the request in the
// worker's scratch buffer.
func (d *driver) get(ctx context.Context, w *worker, path, token string) error {
	w.req = append(w.req[:0], "GET "...)
	w.req = append(w.req, path...)
	w.req = append(w.req, " HTTP/1.1\r\nHost: "...)
	w.req = append(w.req, w.server.addr...)
	w.req = append(w.req, "\r\nUser-Agent: miniauth-bench\r\nAuthorization: Bearer "...)
	w.req = append(w.req, token...)
	w.req = append(w.req, "\r\n\r\n"...)
	_, err := w.server.do(ctx, w.req, http.StatusOK)
	return err
}

// tokenPair is what login and refresh answer.
type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// login mints a code from the simulator, as wx.login() on the phone, then
// logs in with it: a new user. Only the login is timed: minting stands for
// the phone.
func (d *driver) login(ctx context.Context, w *worker) (tokenPair, error) {
	tp, _, err := d.loginWith(ctx, w, d.mintRequest)
	return tp, err
}

// relogin logs in again one of the users the bench made, drawn uniformly:
// a returning user, the login a service sees most.
func (d *driver) relogin(ctx context.Context, w *worker) error {
	mint, _ := json.Marshal(map[string]string{"appid": d.o.AppID, "openid": d.openIDs[w.rng.IntN(len(d.openIDs))]})
	_, _, err := d.loginWith(ctx, w, w.sim.request(http.MethodPost, simPath(d.o.SimURL, "/_sim/login-code"), "", mint))
	return err
}

// loginWith mints a code with the simulator request mint, then logs in with
// it; it answers the tokens and the code's openid.
func (d *driver) loginWith(ctx context.Context, w *worker, mint []byte) (tokenPair, string, error) {
	body, err := w.sim.do(ctx, mint, http.StatusOK)
	if err != nil {
		return tokenPair{}, "", wrapf(err, "minting a code")
	}
	var minted struct{ Code, OpenID string }
	if err := json.Unmarshal(body, &minted); err != nil || minted.Code == "" {
		return tokenPair{}, "", fmt.Errorf("minting a code: unexpected answer %q", body)
	}
	w.start = time.Now()
	tp, err := d.post(ctx, w, "/api/v1/auth/login", map[string]string{"code": minted.Code})
	return tp, minted.OpenID, err
}

// refresh rotates the worker's own session, logging in first if it has none.
func (d *driver) refresh(ctx context.Context, w *worker) error {
	if w.refresh == "" {
		tp, err := d.login(ctx, w)
		w.refresh = tp.RefreshToken
		return err
	}
	tp, err := d.post(ctx, w, "/api/v1/auth/refresh", map[string]string{"refresh_token": w.refresh})
	w.refresh = tp.RefreshToken
	return err
}

func (d *driver) post(ctx context.Context, w *worker, path string, body any) (tokenPair, error) {
	b, _ := json.Marshal(body)
	answer, err := w.server.do(ctx, w.server.request(http.MethodPost, path, "", b), http.StatusOK)
	if err != nil {
		return tokenPair{}, wrapf(err, "POST %s", path)
	}
	var tp tokenPair
	if err := json.Unmarshal(answer, &tp); err != nil || tp.AccessToken == "" {
		return tokenPair{}, fmt.Errorf("POST %s: unexpected answer %q", path, answer)
	}
	return tp, nil
}

// prepareTokens logs Sessions users in when no tokens were given.
func (d *driver) prepareTokens(ctx context.Context) error {
	if len(d.tokens) > 0 {
		return nil
	}
	select {
	case <-time.After(d.o.SessionsAfter):
	case <-ctx.Done():
		return ctx.Err()
	}
	tokens, err := d.logInMany(ctx, d.o.Sessions)
	if err != nil {
		return wrapf(err, "preparing %d sessions", d.o.Sessions)
	}
	d.tokens = tokens
	return nil
}

// prepareReturningUsers makes the users relogin draws from, unless
// prepareTokens made some.
func (d *driver) prepareReturningUsers(ctx context.Context) error {
	if len(d.openIDs) > 0 {
		return nil
	}
	if _, err := d.logInMany(ctx, returningUsers); err != nil {
		return wrapf(err, "preparing %d returning users", returningUsers)
	}
	return nil
}

// logInMany logs n new users in with every worker, and answers their
// access tokens; their openids join d.openIDs.
func (d *driver) logInMany(ctx context.Context, n int) ([]string, error) {
	tokens := make([]string, n)
	openIDs := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(d.workers))
	for i, w := range d.workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= n || ctx.Err() != nil {
					return
				}
				tp, openID, err := d.loginWith(ctx, w, d.mintRequest)
				if err != nil {
					errs[i] = err
					return
				}
				tokens[k], openIDs[k] = tp.AccessToken, openID
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	d.openIDs = append(d.openIDs, openIDs...)
	return tokens, nil
}
