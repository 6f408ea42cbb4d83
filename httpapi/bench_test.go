package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/httpapi"
	"github.com/miniauth/miniauth/sqlite"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

// benchServer is a full API over SQLite with the simulator as WeChat, called
// in process (no network), so that profiles show the server's own cost.
type benchServer struct {
	api http.Handler
	sim *wxsim.Simulator
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	sim := wxsim.New(wxsim.Options{})
	simServer := httptest.NewServer(sim)
	b.Cleanup(simServer.Close)
	wx, err := wechat.New(wechat.Options{BaseURL: simServer.URL, Apps: map[string]string{wxsim.DevAppID: wxsim.DevSecret}})
	if err != nil {
		b.Fatal(err)
	}
	svc := miniauth.NewService(db.Users(), db.Sessions(), nil, wx, miniauth.Options{
		CacheTTL: miniauth.DefaultCacheTTL, RefreshReuseLeeway: miniauth.DefaultRefreshReuseLeeway,
		Apps: []string{wxsim.DevAppID}})
	api, err := httpapi.New(httpapi.Options{Service: svc})
	if err != nil {
		b.Fatal(err)
	}
	return &benchServer{api: api, sim: sim}
}

func (s *benchServer) login(b *testing.B) string {
	code, _, err := s.sim.LoginCode(wxsim.DevAppID, "", "")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"code": code})
	rec := httptest.NewRecorder()
	s.api.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/auth/login", bytes.NewReader(body)))
	if rec.Code != 200 {
		b.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(rec.Body.Bytes(), &answer)
	return answer.AccessToken
}

// discardWriter is a ResponseWriter that keeps nothing, so that the
// benchmark measures the handler and not the recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

func benchmarkGET(b *testing.B, s *benchServer, path, token string) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			w.code = 0
			s.api.ServeHTTP(w, req)
			if w.code != 200 {
				b.Fatalf("%s: %d", path, w.code)
			}
		}
	})
}

// BenchmarkHealthz is the yardstick: everything a request costs apart from
// its handler (routing, request id, metrics, access log).
func BenchmarkHealthz(b *testing.B) {
	benchmarkGET(b, newBenchServer(b), "/healthz", "")
}

// BenchmarkVerify is the gateways' hot path; compare its ns/op with
// BenchmarkHealthz's.
func BenchmarkVerify(b *testing.B) {
	s := newBenchServer(b)
	benchmarkGET(b, s, "/api/v1/auth/verify", s.login(b))
}

// BenchmarkMe is /me: the session and the user both from memory on a hit.
func BenchmarkMe(b *testing.B) {
	s := newBenchServer(b)
	benchmarkGET(b, s, "/api/v1/me", s.login(b))
}

// BenchmarkLogin is a first login: a code from the simulator (in process),
// jscode2session over loopback HTTP, a new user and a new session in SQLite.
func BenchmarkLogin(b *testing.B) {
	s := newBenchServer(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.login(b)
		}
	})
}
