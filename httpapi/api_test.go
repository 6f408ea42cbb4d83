package httpapi_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wxsim"
)

// request is one call of a table case; header holds key, value pairs.
type request struct {
	method, path, body string
	header             []string
}

// apiCase is a request made against a fresh API (a real Service over the
// in-memory stores, the real simulator), prepared by its own function, and
// the status and error code it must get ("" for a success).
type apiCase struct {
	name    string
	prepare func(t *testing.T, a *testAPI) request
	status  int
	code    string
}

// TestRoutes runs every route's happy path and its client errors, and every
// error code through the one mapping of codes to statuses.
func TestRoutes(t *testing.T) {
	t.Parallel()
	cases := slices.Concat(healthCases, authCases, meCases, accountCases, webLoginCases, adminCases)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newTestAPI(t)
			req := tc.prepare(t, a)
			r := a.do(t, req.method, req.path, req.body, req.header...)
			if r.status != tc.status {
				t.Fatalf("%s %s: status %d, want %d: %s", req.method, req.path, r.status, tc.status, r.body)
			}
			if tc.code != "" {
				if got := r.errorCode(t); got != tc.code {
					t.Fatalf("code %q, want %q", got, tc.code)
				}
			}
		})
	}
	// Every code of the contract is answered by some case (canceled, 499,
	// reaches no client: TestCanceledIs499 covers it).
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.code] = true
	}
	for _, code := range []string{miniauth.EInvalidRequest, miniauth.EInvalidCode, miniauth.EUserBlocked,
		miniauth.EUnauthorized, miniauth.ENotFound, miniauth.EConflict, miniauth.EPayloadTooLarge, miniauth.ERateLimited,
		miniauth.EUpstreamUnavailable, miniauth.EInternal} {
		if !covered[code] {
			t.Errorf("no case answers %s", code)
		}
	}
}

// fixed is a request that needs no preparation.
func fixed(method, path, body string, header ...string) func(*testing.T, *testAPI) request {
	return func(*testing.T, *testAPI) request { return request{method, path, body, header} }
}

// withUser logs a user in first and builds the request from its tokens.
func withUser(build func(tk loggedIn) request) func(*testing.T, *testAPI) request {
	return func(t *testing.T, a *testAPI) request { return build(a.loginUser(t)) }
}

// loginWith queues a WeChat fault on jscode2session, or makes the user
// store fail with err, then logs in with a fresh code.
func loginWith(fault wxsim.Fault, err error) func(*testing.T, *testAPI) request {
	return func(t *testing.T, a *testAPI) request {
		if fault != (wxsim.Fault{}) {
			fault.Endpoint = "sns/jscode2session"
			if err := a.sim.AddFault(fault); err != nil {
				t.Fatal(err)
			}
		}
		if err != nil {
			a.users.fail(err)
		}
		return request{"POST", "/api/v1/auth/login", `{"code":"` + a.code(t) + `"}`, nil}
	}
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

var admin = bearer(testAdminToken)

var healthCases = []apiCase{
	{"healthz", fixed("GET", "/healthz", ""), 200, ""},
	{"readyz", fixed("GET", "/readyz", ""), 200, ""},
	{"readyz with the database down", func(t *testing.T, a *testAPI) request {
		a.users.fail(miniauth.Errorf(miniauth.EUpstreamUnavailable, "database down"))
		return request{"GET", "/readyz", "", nil}
	}, 503, miniauth.EUpstreamUnavailable},
	{"metrics", fixed("GET", "/metrics", ""), 200, ""},
	{"jwks", fixed("GET", "/.well-known/jwks.json", ""), 200, ""},
	{"server metadata", fixed("GET", "/.well-known/oauth-authorization-server", ""), 200, ""},
	{"unknown route", fixed("GET", "/api/v1/nothing", ""), 404, miniauth.ENotFound},
	{"unknown method", fixed("DELETE", "/api/v1/me", ""), 404, miniauth.ENotFound},
}

var authCases = []apiCase{
	{"login", loginWith(wxsim.Fault{}, nil), 200, ""},
	{"login without a code", fixed("POST", "/api/v1/auth/login", `{}`), 400, miniauth.EInvalidCode},
	{"login with malformed JSON", fixed("POST", "/api/v1/auth/login", `{"code":`), 400, miniauth.EInvalidRequest},
	{"login with an unknown code", fixed("POST", "/api/v1/auth/login", `{"code":"nosuchcode"}`), 400, miniauth.EInvalidCode},
	{"login with an unknown app", fixed("POST", "/api/v1/auth/login", `{"code":"c","appid":"wxother"}`), 400, miniauth.EInvalidRequest},
	{"login over the body limit", fixed("POST", "/api/v1/auth/login", `{"code":"`+strings.Repeat("x", 70<<10)+`"}`), 413, miniauth.EPayloadTooLarge},
	{"login blocked by WeChat", loginWith(wxsim.Fault{ErrCode: 40226}, nil), 403, miniauth.EUserBlocked},
	{"login of a disabled user", func(t *testing.T, a *testAPI) request {
		tk := a.loginUser(t)
		a.mustDo(t, 200, "POST", "/admin/v1/users/"+tk.User.ID+"/disable", "", admin...)
		code, _, err := a.sim.LoginCode(wxsim.DevAppID, tk.openID, "")
		if err != nil {
			t.Fatal(err)
		}
		return request{"POST", "/api/v1/auth/login", `{"code":"` + code + `"}`, nil}
	}, 403, miniauth.EUserBlocked},
	{"login rate-limited by WeChat", loginWith(wxsim.Fault{ErrCode: 45011}, nil), 429, miniauth.ERateLimited},
	{"login with WeChat busy", loginWith(wxsim.Fault{ErrCode: -1}, nil), 503, miniauth.EUpstreamUnavailable},
	{"login with WeChat answering nonsense", loginWith(wxsim.Fault{RawBody: "<html>"}, nil), 503, miniauth.EUpstreamUnavailable},
	{"login with the database down", loginWith(wxsim.Fault{}, miniauth.Errorf(miniauth.EUpstreamUnavailable, "database down")), 503, miniauth.EUpstreamUnavailable},
	{"login with a database error", loginWith(wxsim.Fault{}, errors.New("disk on fire")), 500, miniauth.EInternal},

	{"refresh", withUser(func(tk loggedIn) request {
		return request{"POST", "/api/v1/auth/refresh", `{"refresh_token":"` + tk.RefreshToken + `"}`, nil}
	}), 200, ""},
	{"refresh with a used token", func(t *testing.T, a *testAPI) request {
		tk := a.loginUser(t)
		body := `{"refresh_token":"` + tk.RefreshToken + `"}`
		a.mustDo(t, 200, "POST", "/api/v1/auth/refresh", body)
		return request{"POST", "/api/v1/auth/refresh", body, nil}
	}, 401, miniauth.EUnauthorized},
	{"refresh with an unknown token", fixed("POST", "/api/v1/auth/refresh", `{"refresh_token":"mrt_nosuchtoken"}`), 401, miniauth.EUnauthorized},
	{"refresh without a token", fixed("POST", "/api/v1/auth/refresh", `{}`), 400, miniauth.EInvalidRequest},

	{"logout", withUser(func(tk loggedIn) request {
		return request{"POST", "/api/v1/auth/logout", "", bearer(tk.AccessToken)}
	}), 204, ""},
	{"logout without a token", fixed("POST", "/api/v1/auth/logout", ""), 401, miniauth.EUnauthorized},
	{"verify", withUser(func(tk loggedIn) request {
		return request{"GET", "/api/v1/auth/verify", "", bearer(tk.AccessToken)}
	}), 200, ""},
	{"verify a logged-out token", func(t *testing.T, a *testAPI) request {
		tk := a.loginUser(t)
		a.mustDo(t, 204, "POST", "/api/v1/auth/logout", "", bearer(tk.AccessToken)...)
		return request{"GET", "/api/v1/auth/verify", "", bearer(tk.AccessToken)}
	}, 401, miniauth.EUnauthorized},
	{"verify a malformed token", fixed("GET", "/api/v1/auth/verify", "", "Authorization", "Basic eDp5"), 401, miniauth.EUnauthorized},

	{"introspect", withUser(func(tk loggedIn) request {
		return request{"POST", "/api/v1/auth/introspect", "token=" + tk.AccessToken,
			append(bearer(testIntrospectionCode), "Content-Type", "application/x-www-form-urlencoded")}
	}), 200, ""},
	{"introspect without the secret", fixed("POST", "/api/v1/auth/introspect", "token=x",
		"Content-Type", "application/x-www-form-urlencoded"), 401, miniauth.EUnauthorized},
	{"introspect without a token", fixed("POST", "/api/v1/auth/introspect", "",
		"Authorization", "Bearer "+testIntrospectionCode, "Content-Type", "application/x-www-form-urlencoded"), 400, miniauth.EInvalidRequest},
}

var meCases = []apiCase{
	{"me", withUser(func(tk loggedIn) request { return request{"GET", "/api/v1/me", "", bearer(tk.AccessToken)} }), 200, ""},
	{"me without a token", fixed("GET", "/api/v1/me", ""), 401, miniauth.EUnauthorized},
	{"bind phone", func(t *testing.T, a *testAPI) request {
		tk := a.loginUser(t)
		code, err := a.sim.PhoneCode(wxsim.DevAppID, tk.openID, "13800138000")
		if err != nil {
			t.Fatal(err)
		}
		return request{"POST", "/api/v1/me/phone", `{"code":"` + code + `"}`, bearer(tk.AccessToken)}
	}, 200, ""},
	{"bind phone with an unknown code", withUser(func(tk loggedIn) request {
		return request{"POST", "/api/v1/me/phone", `{"code":"nosuchcode"}`, bearer(tk.AccessToken)}
	}), 400, miniauth.EInvalidCode},
	{"bind phone with malformed JSON", withUser(func(tk loggedIn) request {
		return request{"POST", "/api/v1/me/phone", `[`, bearer(tk.AccessToken)}
	}), 400, miniauth.EInvalidRequest},
	{"bind phone without a token", fixed("POST", "/api/v1/me/phone", `{"code":"c"}`), 401, miniauth.EUnauthorized},
	{"set the nickname", withUser(func(tk loggedIn) request {
		return request{"PATCH", "/api/v1/me", `{"nickname":"小明"}`, bearer(tk.AccessToken)}
	}), 200, ""},
	{"set an empty nickname", withUser(func(tk loggedIn) request {
		return request{"PATCH", "/api/v1/me", `{"nickname":""}`, bearer(tk.AccessToken)}
	}), 400, miniauth.EInvalidRequest},
	{"upload an avatar that is not a form", withUser(func(tk loggedIn) request {
		return request{"POST", "/api/v1/me/avatar", "", bearer(tk.AccessToken)}
	}), 400, miniauth.EInvalidRequest},
	{"me with the database down", func(t *testing.T, a *testAPI) request {
		tk := a.loginUser(t)
		a.users.fail(miniauth.Errorf(miniauth.EUpstreamUnavailable, "database down"))
		return request{"GET", "/api/v1/me", "", bearer(tk.AccessToken)}
	}, 503, miniauth.EUpstreamUnavailable},
}

var accountCases = []apiCase{
	{"own sessions", withUser(func(tk loggedIn) request { return request{"GET", "/api/v1/me/sessions", "", bearer(tk.AccessToken)} }), 200, ""},
	{"end the other sessions", withUser(func(tk loggedIn) request {
		return request{"DELETE", "/api/v1/me/sessions", "", bearer(tk.AccessToken)}
	}), 204, ""},
	{"end an unknown own session", withUser(func(tk loggedIn) request {
		return request{"DELETE", "/api/v1/me/sessions/" + miniauth.NewID(), "", bearer(tk.AccessToken)}
	}), 404, miniauth.ENotFound},
	{"link an identity without an app", withUser(func(tk loggedIn) request {
		return request{"POST", "/api/v1/me/identities", `{"code":"c"}`, bearer(tk.AccessToken)}
	}), 400, miniauth.EInvalidRequest},
	{"link another identity in the same app", func(t *testing.T, a *testAPI) request {
		tk := a.loginUser(t)
		return request{"POST", "/api/v1/me/identities", `{"appid":"` + wxsim.DevAppID + `","code":"` + a.code(t) + `"}`, bearer(tk.AccessToken)}
	}, 409, miniauth.EConflict},
	{"unlink the last identity", withUser(func(tk loggedIn) request {
		return request{"DELETE", "/api/v1/me/identities/" + wxsim.DevAppID, "", bearer(tk.AccessToken)}
	}), 409, miniauth.EConflict},
	{"unlink an identity the account lacks", withUser(func(tk loggedIn) request {
		return request{"DELETE", "/api/v1/me/identities/wxnosuchapp", "", bearer(tk.AccessToken)}
	}), 404, miniauth.ENotFound},
}

var webLoginCases = []apiCase{
	{"start a web login", fixed("POST", "/api/v1/web-login", `{}`), 200, ""},
	{"poll an unknown web login", fixed("GET", "/api/v1/web-login/AAAAAAAAAAAAAAAAAAAAAA", ""), 404, miniauth.ENotFound},
	{"poll a malformed ticket", fixed("GET", "/api/v1/web-login/short", ""), 404, miniauth.ENotFound},
	{"scan an unknown web login", withUser(func(tk loggedIn) request {
		return request{"POST", "/api/v1/web-login/AAAAAAAAAAAAAAAAAAAAAA/scan", "", bearer(tk.AccessToken)}
	}), 404, miniauth.ENotFound},
	{"scan without a token", fixed("POST", "/api/v1/web-login/AAAAAAAAAAAAAAAAAAAAAA/scan", ""), 401, miniauth.EUnauthorized},
}

// adminPath logs a user in and builds an admin request on a path of its id.
func adminPath(method, format string) func(*testing.T, *testAPI) request {
	return func(t *testing.T, a *testAPI) request {
		tk := a.loginUser(t)
		return request{method, strings.ReplaceAll(format, "{id}", tk.User.ID), "", admin}
	}
}

var adminCases = []apiCase{
	{"admin list users", withUser(func(loggedIn) request { return request{"GET", "/admin/v1/users?limit=10", "", admin} }), 200, ""},
	{"admin list users with a bad limit", fixed("GET", "/admin/v1/users?limit=1000", "", admin...), 400, miniauth.EInvalidRequest},
	{"admin without the token", fixed("GET", "/admin/v1/users", ""), 401, miniauth.EUnauthorized},
	{"admin with a user's token", withUser(func(tk loggedIn) request {
		return request{"GET", "/admin/v1/users", "", bearer(tk.AccessToken)}
	}), 401, miniauth.EUnauthorized},
	{"admin user", adminPath("GET", "/admin/v1/users/{id}"), 200, ""},
	{"admin unknown user", fixed("GET", "/admin/v1/users/"+miniauth.NewID(), "", admin...), 404, miniauth.ENotFound},
	{"admin disable", adminPath("POST", "/admin/v1/users/{id}/disable"), 200, ""},
	{"admin enable", adminPath("POST", "/admin/v1/users/{id}/enable"), 200, ""},
	{"admin disable an unknown user", fixed("POST", "/admin/v1/users/"+miniauth.NewID()+"/disable", "", admin...), 404, miniauth.ENotFound},
	{"admin user sessions", adminPath("GET", "/admin/v1/users/{id}/sessions"), 200, ""},
	{"admin user logins", adminPath("GET", "/admin/v1/users/{id}/logins"), 200, ""},
	{"admin user logins with a bad limit", adminPath("GET", "/admin/v1/users/{id}/logins?limit=0"), 400, miniauth.EInvalidRequest},
	{"admin revoke user sessions", adminPath("DELETE", "/admin/v1/users/{id}/sessions"), 200, ""},
	{"admin revoke a session", func(t *testing.T, a *testAPI) request {
		tk := a.loginUser(t)
		return request{"DELETE", "/admin/v1/sessions/" + a.sessionID(t, tk), "", admin}
	}, 204, ""},
}

// loggedIn is a login's answer, and the openid the simulator gave it.
type loggedIn struct {
	tokens
	openID string
}

func (a *testAPI) loginUser(t *testing.T) loggedIn {
	t.Helper()
	code, openID, err := a.sim.LoginCode(wxsim.DevAppID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	r := a.mustDo(t, 200, "POST", "/api/v1/auth/login", `{"code":"`+code+`"}`)
	tk := loggedIn{openID: openID}
	if err := json.Unmarshal(r.body, &tk.tokens); err != nil {
		t.Fatal(err)
	}
	return tk
}

// sessionID finds the id of the user's only session through the admin API.
func (a *testAPI) sessionID(t *testing.T, tk loggedIn) string {
	t.Helper()
	r := a.mustDo(t, 200, "GET", "/admin/v1/users/"+tk.User.ID+"/sessions", "", admin...)
	var body struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || len(body.Sessions) != 1 {
		t.Fatalf("sessions: %s (%v)", r.body, err)
	}
	return body.Sessions[0].ID
}

// mustDo sends a request that must answer status.
func (a *testAPI) mustDo(t *testing.T, status int, method, path, body string, header ...string) answer {
	t.Helper()
	r := a.do(t, method, path, body, header...)
	if r.status != status {
		t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, status)
	}
	return r
}
