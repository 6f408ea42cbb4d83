package wxsim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/miniauth/miniauth/wxsim"
)

// fuzzPaths are the simulator's endpoints, with the method each answers,
// and one path it does not know.
var fuzzPaths = []struct{ path, method string }{
	{"sns/jscode2session", "GET"},
	{"cgi-bin/token", "GET"},
	{"cgi-bin/stable_token", "POST"},
	{"wxa/business/getuserphonenumber", "POST"},
	{"wxa/checksession", "GET"},
	{"_sim/login-code", "POST"},
	{"_sim/phone-code", "POST"},
	{"_sim/faults", "POST"},
	{"_sim/stats", "GET"},
	{"sns/unknown", ""},
}

var fuzzMethods = []string{"GET", "POST", "DELETE", "PUT"}

// Whatever the query and body, a fresh simulator answers in WeChat's shapes:
// a WeChat endpoint called with its method answers 200 with a JSON object
// (an errcode with an errmsg, or the data); a control endpoint answers 2xx,
// or 400/413 with errcode and errmsg; a wrong method 405, an unknown path
// 404. Never a 5xx, never a body that does not parse.
func FuzzSimulatorRequests(f *testing.F) {
	for i, seed := range []struct{ query, body string }{
		{"appid=wxdevappid0000000&secret=devsecret&js_code=abc&grant_type=authorization_code", ""},
		{"grant_type=client_credential&appid=wxdevappid0000000&secret=devsecret", ""},
		{"", `{"grant_type":"client_credential","appid":"wxdevappid0000000","secret":"devsecret","force_refresh":true}`},
		{"access_token=x", `{"code":"c","openid":"o"}`},
		{"access_token=x&openid=o&signature=s&sig_method=hmac_sha256", ""},
		{"", `{"appid":"wxdevappid0000000","openid":"o1","unionid":"u1"}`},
		{"", `{"appid":"wxdevappid0000000","openid":"o1","phone":"+1 5550100"}`},
		{"", `{"endpoint":"sns/jscode2session","errcode":-1,"count":3}`},
		{"%zz&a=%", `{"endpoint":1}`},
		{"", "{\"appid\":\"\xff\"}"},
	} {
		f.Add(uint8(i), uint8(i%len(fuzzMethods)), seed.query, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, pathSel, methodSel uint8, query string, body []byte) {
		sim := wxsim.New(wxsim.Options{MaxCodes: 64, MaxSessionKeys: 64})
		p := fuzzPaths[int(pathSel)%len(fuzzPaths)]
		method := fuzzMethods[int(methodSel)%len(fuzzMethods)]
		req := httptest.NewRequest(method, "/"+p.path, bytes.NewReader(body))
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		checkSimAnswer(t, p.path, p.method, method, rec)
	})
}

func checkSimAnswer(t *testing.T, path, want, method string, rec *httptest.ResponseRecorder) {
	t.Helper()
	control := strings.HasPrefix(path, "_sim/")
	switch {
	case rec.Code >= 500:
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	case want == "":
		if rec.Code != http.StatusNotFound {
			t.Fatalf("%s %s: %d for an unknown path", method, path, rec.Code)
		}
		return
	case method != want && !(path == "_sim/faults" && method != "PUT"):
		if rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("%s %s: %d for a wrong method", method, path, rec.Code)
		}
		return
	case rec.Code == http.StatusNoContent:
		if !control {
			t.Fatalf("%s %s: 204 from a WeChat endpoint", method, path)
		}
		return
	case !control && rec.Code != http.StatusOK:
		t.Fatalf("%s %s: %d; WeChat answers errors with 200 and an errcode", method, path, rec.Code)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s %s: %d with a body that is no JSON object: %q", method, path, rec.Code, rec.Body)
	}
	code, hasCode := m["errcode"].(float64)
	if rec.Code != http.StatusOK && (!hasCode || code == 0) {
		t.Fatalf("%s %s: %d without an errcode: %s", method, path, rec.Code, rec.Body)
	}
	if hasCode && code != 0 {
		if msg, ok := m["errmsg"].(string); !ok || msg == "" {
			t.Fatalf("%s %s: errcode %v without an errmsg: %s", method, path, code, rec.Body)
		}
	}
}
