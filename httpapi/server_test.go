package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/httpapi"
	"github.com/miniauth/miniauth/inmem"
	"github.com/miniauth/miniauth/internal/testkit"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

const (
	testAdminToken        = "admin-token-for-tests-0123456789abcdef"
	testIntrospectionCode = "introspection-secret-for-tests-0123"
)

// testAPI is the whole API: a real Service over the in-memory stores, with
// the simulator as WeChat, served over loopback so that net/http's own HEAD
// and header handling take part.
type testAPI struct {
	URL    string
	sim    *wxsim.Simulator
	logs   *testkit.LogBuffer
	access *httpapi.AccessLog
	users  *faultyUsers
}

// logString is everything logged so far, the access log included.
func (a *testAPI) logString() string {
	a.access.Sync()
	return a.logs.String()
}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	sim := wxsim.New(wxsim.Options{})
	simServer := httptest.NewServer(sim)
	t.Cleanup(simServer.Close)
	wx, err := wechat.New(wechat.Options{BaseURL: simServer.URL, Apps: map[string]string{wxsim.DevAppID: wxsim.DevSecret}})
	if err != nil {
		t.Fatal(err)
	}
	users := &faultyUsers{Users: inmem.NewUsers()}
	svc := miniauth.NewService(users, inmem.NewSessions(), nil, wx, miniauth.Options{
		CacheTTL: miniauth.DefaultCacheTTL, RefreshReuseLeeway: miniauth.DefaultRefreshReuseLeeway,

		Apps:     []string{wxsim.DevAppID},
		WebLogin: miniauth.WebLoginOptions{Store: inmem.NewWebLogins(), Apps: []string{wxsim.DevAppID}, Codes: wx},
		Events:   miniauth.EventOptions{Store: inmem.NewLoginEvents()},
	})
	logs := &testkit.LogBuffer{}
	access := httpapi.NewAccessLog(logs, httpapi.AccessLogOptions{})
	t.Cleanup(access.Close)
	api, err := httpapi.New(httpapi.Options{
		Service:              svc,
		Logger:               slog.New(slog.NewJSONHandler(logs, nil)),
		AccessLog:            access,
		AdminToken:           testAdminToken,
		IntrospectionSecrets: []string{testIntrospectionCode},
		Checks:               []httpapi.Check{{Name: "database", Ping: users.Ping}},
		Simulator:            sim,
	})
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(api)
	t.Cleanup(server.Close)
	return &testAPI{URL: server.URL, sim: sim, logs: logs, access: access, users: users}
}

// faultyUsers is the in-memory user store, failing every call with err
// once a test sets one: a database that is down or answers nonsense.
type faultyUsers struct {
	*inmem.Users
	err atomic.Pointer[error]
}

func (u *faultyUsers) fail(err error) { u.err.Store(&err) }

func (u *faultyUsers) failure() error {
	if err := u.err.Load(); err != nil {
		return *err
	}
	return nil
}

func (u *faultyUsers) FindOrCreateByIdentity(ctx context.Context, id miniauth.Identity, newUser *miniauth.User) (*miniauth.User, bool, error) {
	if err := u.failure(); err != nil {
		return nil, false, err
	}
	return u.Users.FindOrCreateByIdentity(ctx, id, newUser)
}

func (u *faultyUsers) UserByID(ctx context.Context, id string) (*miniauth.User, error) {
	if err := u.failure(); err != nil {
		return nil, err
	}
	return u.Users.UserByID(ctx, id)
}

func (u *faultyUsers) Ping(ctx context.Context) error {
	if err := u.failure(); err != nil {
		return err
	}
	return u.Users.Ping(ctx)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; header values are added one by one, so that a key
// may be sent several times.
func (a *testAPI) do(t *testing.T, method, path, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, a.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: raw}
}

// errorCode checks the contract's error shape and returns its code.
func (r answer) errorCode(t *testing.T) string {
	t.Helper()
	var body struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("not JSON: %q", r.body)
	}
	e, id := body.Error, r.header.Get("X-Request-Id")
	if e.Code == "" || e.Message == "" || id == "" || e.RequestID != id {
		t.Errorf("error shape: %s (X-Request-Id %q)", r.body, id)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("error Content-Type %q", r.header.Get("Content-Type"))
	}
	return e.Code
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	User         struct {
		ID string `json:"id"`
	} `json:"user"`
}

func (a *testAPI) login(t *testing.T) tokens {
	t.Helper()
	r := a.do(t, "POST", "/api/v1/auth/login", `{"code":"`+a.code(t)+`"}`)
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var tk tokens
	if err := json.Unmarshal(r.body, &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

func (a *testAPI) code(t *testing.T) string {
	code, _, err := a.sim.LoginCode(wxsim.DevAppID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return code
}
