package wechat_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// fakeWeChat is a small stand-in for WeChat's server API, for this package's
// unit tests only: it answers the four endpoints the client uses, counts
// calls, and injects faults.
type fakeWeChat struct {
	URL string
	now func() time.Time

	mu          sync.Mutex
	apps        map[string]string
	loginCodes  map[string]string // code -> openid
	used        map[string]bool
	phoneCodes  map[string]string // code -> pure phone number
	stable      map[string]*fakeToken
	valid       map[string]time.Time // token -> expiry
	faults      map[string][]fault
	calls       map[string]int
	forced      int
	issued      int
	seq         int
	numericCC   bool
	onToken     func() // runs before a token endpoint answers
	tokenTTL    time.Duration
	phoneReject map[string]int // token -> errcode the phone endpoint answers for it
}

type fakeToken struct {
	value  string
	expiry time.Time
}

type fault struct {
	errcode int
	status  int
	body    string
	delay   time.Duration
}

func newFake(t testing.TB, apps map[string]string, now func() time.Time) *fakeWeChat {
	if now == nil {
		now = time.Now
	}
	f := &fakeWeChat{
		now: now, apps: apps,
		loginCodes: map[string]string{}, used: map[string]bool{}, phoneCodes: map[string]string{},
		stable: map[string]*fakeToken{}, valid: map[string]time.Time{}, faults: map[string][]fault{},
		calls: map[string]int{}, tokenTTL: 7200 * time.Second, phoneReject: map[string]int{},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeWeChat) loginCode(openID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	code := fmt.Sprintf("LOGINCODE%06d", f.seq)
	f.loginCodes[code] = openID
	return code
}

func (f *fakeWeChat) phoneCode(phone string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	code := fmt.Sprintf("PHONECODE%06d", f.seq)
	f.phoneCodes[code] = phone
	return code
}

func (f *fakeWeChat) fault(endpoint string, fl fault, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.faults[endpoint] = append(f.faults[endpoint], fl)
	}
}

func (f *fakeWeChat) count(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[endpoint]
}

func (f *fakeWeChat) forcedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.forced
}

func (f *fakeWeChat) issuedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

func (f *fakeWeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep := strings.TrimPrefix(r.URL.Path, "/")
	f.mu.Lock()
	f.calls[ep]++
	var fl *fault
	if q := f.faults[ep]; len(q) > 0 {
		fl = &q[0]
		f.faults[ep] = q[1:]
	}
	hook := f.onToken
	f.mu.Unlock()

	if fl != nil {
		if fl.delay > 0 {
			// Reading the body lets the server notice when the client
			// hangs up, which ends r.Context().
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			select {
			case <-time.After(fl.delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case fl.status != 0:
			w.WriteHeader(fl.status)
			fmt.Fprint(w, fl.body)
			return
		case fl.body != "":
			fmt.Fprint(w, fl.body)
			return
		case fl.errcode != 0:
			writeErr(w, fl.errcode)
			return
		}
	}
	if hook != nil && (ep == "cgi-bin/stable_token" || ep == "cgi-bin/token") {
		hook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch ep {
	case "sns/jscode2session":
		q := r.URL.Query()
		if code := f.checkApp(q.Get("appid"), q.Get("secret")); code != 0 {
			writeErr(w, code)
			return
		}
		c := q.Get("js_code")
		openID, ok := f.loginCodes[c]
		switch {
		case f.used[c]:
			writeErr(w, 40163)
		case !ok:
			writeErr(w, 40029)
		default:
			f.used[c] = true
			writeJSON(w, map[string]any{"openid": openID, "session_key": "SESSIONKEYxxxxxxxxxxxxx==", "unionid": "UNION-" + openID})
		}
	case "cgi-bin/stable_token":
		var req struct {
			GrantType    string `json:"grant_type"`
			AppID        string `json:"appid"`
			Secret       string `json:"secret"`
			ForceRefresh bool   `json:"force_refresh"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GrantType != "client_credential" {
			writeErr(w, 47001)
			return
		}
		if code := f.checkApp(req.AppID, req.Secret); code != 0 {
			writeErr(w, code)
			return
		}
		now := f.now()
		st := f.stable[req.AppID]
		if req.ForceRefresh {
			f.forced++
			if st != nil {
				delete(f.valid, st.value)
			}
		}
		if req.ForceRefresh || st == nil || st.expiry.Sub(now) <= 300*time.Second {
			st = f.issue(req.AppID, now)
			f.stable[req.AppID] = st
		}
		writeJSON(w, map[string]any{"access_token": st.value, "expires_in": int(st.expiry.Sub(now) / time.Second)})
	case "cgi-bin/token":
		q := r.URL.Query()
		if code := f.checkApp(q.Get("appid"), q.Get("secret")); code != 0 {
			writeErr(w, code)
			return
		}
		st := f.issue(q.Get("appid"), f.now())
		writeJSON(w, map[string]any{"access_token": st.value, "expires_in": int(f.tokenTTL / time.Second)})
	case "wxa/business/getuserphonenumber":
		tok := r.URL.Query().Get("access_token")
		if code := f.phoneReject[tok]; code != 0 {
			writeErr(w, code)
			return
		}
		exp, ok := f.valid[tok]
		if !ok {
			writeErr(w, 40001)
			return
		}
		if !f.now().Before(exp) {
			writeErr(w, 42001)
			return
		}
		var req struct {
			Code   string `json:"code"`
			OpenID string `json:"openid"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.OpenID == "" {
			writeErr(w, 47001)
			return
		}
		phone, ok := f.phoneCodes[req.Code]
		if !ok {
			writeErr(w, 40029)
			return
		}
		delete(f.phoneCodes, req.Code)
		var cc any = "86"
		if f.numericCC {
			cc = 86
		}
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "phone_info": map[string]any{
			"phoneNumber": phone, "purePhoneNumber": phone, "countryCode": cc,
			"watermark": map[string]any{"timestamp": 1700000000, "appid": "x"},
		}})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// issue mints a new token; f.mu is held.
func (f *fakeWeChat) issue(appID string, now time.Time) *fakeToken {
	f.seq++
	f.issued++
	t := &fakeToken{value: fmt.Sprintf("ACCESSTOKEN-%s-%06d", appID, f.seq), expiry: now.Add(f.tokenTTL)}
	f.valid[t.value] = t.expiry
	return t
}

func (f *fakeWeChat) checkApp(appID, secret string) int {
	s, ok := f.apps[appID]
	switch {
	case !ok:
		return 40013
	case s != secret:
		return 40125
	}
	return 0
}

func writeErr(w http.ResponseWriter, code int) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": fmt.Sprintf("fake error rid: rid-%d-abc", code)})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// testClock is an injected clock that tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// metricValue returns the value of the counter or gauge name with exactly
// the given labels, or -1 when there is none.
func metricValue(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}
