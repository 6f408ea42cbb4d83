package wxsim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func exchange(tb testing.TB, s *Simulator, code string) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/sns/jscode2session?"+url.Values{
		"appid": {DevAppID}, "secret": {DevSecret}, "js_code": {code}, "grant_type": {"authorization_code"},
	}.Encode(), nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"session_key"`) {
		tb.Fatalf("exchange: %d %s", w.Code, w.Body)
	}
}

// BenchmarkLogin is one login's cost inside the simulator: mint a code
// through POST _sim/login-code and exchange it through GET
// sns/jscode2session, both via ServeHTTP without a network.
func BenchmarkLogin(b *testing.B) {
	s := New(Options{})
	const mint = `{"appid":"` + DevAppID + `"}`
	exchangeURL := "/sns/jscode2session?appid=" + DevAppID + "&secret=" + DevSecret + "&grant_type=authorization_code&js_code="
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/_sim/login-code", strings.NewReader(mint)))
			body := w.Body.String()
			i := strings.Index(body, `"code":"`) + len(`"code":"`)
			code := body[i : i+loginCodeLen]
			w = httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, exchangeURL+code, nil))
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"session_key"`) {
				b.Fatalf("exchange: %d %s", w.Code, w.Body)
			}
		}
	})
}

// BenchmarkLoginHTTP is the same over loopback HTTP with keep-alive, the
// way the load benchmark drives the simulator.
func BenchmarkLoginHTTP(b *testing.B) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	const mint = `{"appid":"` + DevAppID + `"}`
	exchangeURL := srv.URL + "/sns/jscode2session?appid=" + DevAppID + "&secret=" + DevSecret + "&grant_type=authorization_code&js_code="
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(srv.URL+"/_sim/login-code", "application/json", strings.NewReader(mint))
			if err != nil {
				b.Fatal(err)
			}
			var sb bytes.Buffer
			_, _ = sb.ReadFrom(resp.Body)
			resp.Body.Close()
			body := sb.String()
			i := strings.Index(body, `"code":"`) + len(`"code":"`)
			code := body[i : i+loginCodeLen]
			resp, err = client.Get(exchangeURL + code)
			if err != nil {
				b.Fatal(err)
			}
			sb.Reset()
			_, _ = sb.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(sb.String(), `"session_key"`) {
				b.Fatalf("exchange: %d %s", resp.StatusCode, sb.String())
			}
		}
	})
}
