package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/internal/testkit"
	"github.com/miniauth/miniauth/wxsim"
)

type testNode struct {
	*node
	logs   *testkit.LogBuffer
	banner *testkit.LogBuffer
}

// startTestNode runs a real node on 127.0.0.1:0 with its data in a fresh
// temporary directory (unless env sets one), configured by env as the
// process environment would, and stops it when the test ends.
func startTestNode(t *testing.T, env ...string) *testNode {
	t.Helper()
	base := []string{
		"MINIAUTH_HTTP_ADDR=127.0.0.1:0",
		"MINIAUTH_DATA_DIR=" + t.TempDir(),
		"MINIAUTH_LOG_LEVEL=debug",
		// The tests run several nodes and hundreds of concurrent requests
		// in one process under the race detector, on a machine that runs
		// other test binaries and their servers too: a store call can wait
		// seconds for a CPU there. Those tests are about correctness, so
		// their deadlines are generous; the tests about deadlines set
		// their own (stall_test.go).
		"MINIAUTH_DB_TIMEOUT=30s",
		"MINIAUTH_REDIS_TIMEOUT=30s",
		// Every node of the package runs on 127.0.0.1 and many share one
		// Redis, so the login throttle's counters would carry failures
		// from one test into the next. The throttle's tests turn it on.
		"MINIAUTH_THROTTLE_IP_FAILURES=0",
		"MINIAUTH_THROTTLE_OPENID_FAILURES=0",
	}
	cfg, _, err := config.Load("", append(base, env...))
	if err != nil {
		t.Fatal(err)
	}
	return startTestNodeWith(t, cfg)
}

// startNodeWithFile runs a real node on 127.0.0.1:0 with its data in a
// fresh temporary directory, configured by the TOML file text and then
// env, and stops it when the test ends.
func startNodeWithFile(t *testing.T, toml string, env ...string) *testNode {
	t.Helper()
	path := filepath.Join(t.TempDir(), "miniauth.toml")
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path, append([]string{"MINIAUTH_HTTP_ADDR=127.0.0.1:0", "MINIAUTH_DATA_DIR=" + t.TempDir()}, env...))
	if err != nil {
		t.Fatal(err)
	}
	return startTestNodeWith(t, cfg)
}

// startTestNodeWith runs a real node of cfg, stopped when the test ends;
// its answers are checked against the OpenAPI document (checkAnswer).
func startTestNodeWith(t *testing.T, cfg config.Config) *testNode {
	t.Helper()
	logs, banner := &testkit.LogBuffer{}, &testkit.LogBuffer{}
	n, err := startNode(context.Background(), cfg, logs, banner)
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNode{node: n, logs: logs, banner: banner}
	nodeOrigins.Store(n.URL, true)
	t.Cleanup(func() { tn.stop(t) })
	return tn
}

func (n *testNode) stop(t *testing.T) {
	if n.stores.closers == nil {
		return // stopped already
	}
	nodeOrigins.Delete(n.URL) // its port may serve something else next
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %q", r.body)
	}
	return m
}

// errorCode returns the contract error's code, checking its shape.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.body)
	}
	if e["message"] == "" || e["request_id"] != r.header.Get("X-Request-Id") || r.header.Get("X-Request-Id") == "" {
		t.Errorf("error shape: %s (X-Request-Id %q)", r.body, r.header.Get("X-Request-Id"))
	}
	return e["code"].(string)
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func call(t *testing.T, method, url, token string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(t, httpClient, req)
}

// send sends req with client and reads the whole answer, which must be
// one the OpenAPI document allows (checkAnswer). Every request of the
// end-to-end tests goes through here.
func send(t *testing.T, client *http.Client, req *http.Request) response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, req, resp, raw)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// mintCode asks the simulator at simURL for a login code, as wx.login() would.
func mintCode(t *testing.T, simURL, openid string) string {
	t.Helper()
	body := map[string]string{"appid": wxsim.DevAppID}
	if openid != "" {
		body["openid"] = openid
	}
	r := call(t, "POST", simURL+"/_sim/login-code", "", body)
	if r.status != 200 {
		t.Fatalf("login-code: %d %s", r.status, r.body)
	}
	return r.json(t)["code"].(string)
}

type loginAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	NewUser      *bool  `json:"new_user"`
	User         struct {
		ID        string `json:"id"`
		OpenID    string `json:"openid"`
		UnionID   string `json:"unionid"`
		Nickname  string `json:"nickname"`
		AvatarURL string `json:"avatar_url"`
		Phone     string `json:"phone"`
		CreatedAt string `json:"created_at"`
	} `json:"user"`
}

func decodeLogin(t *testing.T, r response) loginAnswer {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var a loginAnswer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// login logs in on n with a fresh code for openid ("" for a new user).
func (n *testNode) login(t *testing.T, openid string) loginAnswer {
	t.Helper()
	code := mintCode(t, n.URL+"/_wxsim", openid)
	return decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}))
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
