package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/wxsim"
)

// Three WeChat mini programs of one developer, for the accounts tests.
var accountApps = map[string]string{
	"wxaccountsapp0001": "secret-1",
	"wxaccountsapp0002": "secret-2",
	"wxaccountsapp0003": "secret-3",
}

const app1, app2, app3 = "wxaccountsapp0001", "wxaccountsapp0002", "wxaccountsapp0003"

// accountsDeployment is two nodes on one database (and one Redis, when
// given), configured with the three apps, talking to one simulator.
type accountsDeployment struct {
	nodes []*testNode
	sim   *wxsim.Simulator
}

// accountBackends are the stores every rule of the accounts contract runs on.
var accountBackends = []struct {
	name string
	env  func(t *testing.T) []string
}{
	{"sqlite", func(t *testing.T) []string {
		return []string{"MINIAUTH_DB_URL=sqlite://" + filepath.Join(t.TempDir(), "accounts.db")}
	}},
	{"postgres", func(t *testing.T) []string { return []string{"MINIAUTH_DB_URL=" + testserver.Postgres(t)} }},
	{"mysql", func(t *testing.T) []string { return []string{"MINIAUTH_DB_URL=" + testserver.MySQL(t)} }},
	{"postgres+redis", func(t *testing.T) []string {
		// A long cache TTL: only Redis's events can end sessions on the
		// other node within the contract's second.
		return []string{"MINIAUTH_DB_URL=" + testserver.Postgres(t), "MINIAUTH_REDIS_URL=" + testserver.Redis(t),
			"MINIAUTH_TOKENS_CACHE_TTL=30s"}
	}},
}

func startAccounts(t *testing.T, env ...string) *accountsDeployment {
	t.Helper()
	sim := wxsim.New(wxsim.Options{Apps: accountApps})
	wx := httptest.NewServer(sim)
	t.Cleanup(wx.Close)
	toml := "[wechat]\nbase_url = \"" + wx.URL + "\"\n"
	for _, app := range []string{app1, app2, app3} {
		toml += "[[wechat.apps]]\nappid = \"" + app + "\"\nsecret = \"" + accountApps[app] + "\"\n"
	}
	d := &accountsDeployment{sim: sim}
	for range 2 {
		d.nodes = append(d.nodes, startNodeWithFile(t, toml, env...))
	}
	return d
}

// code mints a login code of app for openid (and unionid), as the phone would.
func (d *accountsDeployment) code(t *testing.T, app, openid, unionid string) string {
	t.Helper()
	code, _, err := d.sim.LoginCode(app, openid, unionid)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (d *accountsDeployment) login(t *testing.T, app, openid, unionid string, header http.Header) loginAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"code": d.code(t, app, openid, unionid), "appid": app})
	return decodeLogin(t, callWithHeader(t, "POST", d.nodes[0].URL+"/api/v1/auth/login", string(body), header))
}

// me is /me's answer as a generic object, for comparing before and after.
func (d *accountsDeployment) me(t *testing.T, token string) map[string]any {
	t.Helper()
	r := call(t, "GET", d.nodes[1].URL+"/api/v1/me", token, nil)
	if r.status != 200 {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	return r.json(t)
}

type identityAnswer struct {
	Platform string `json:"platform"`
	AppID    string `json:"appid"`
	OpenID   string `json:"openid"`
	UnionID  string `json:"unionid"`
}

// identitiesOf reads the identities of a user object, sorted by appid.
func identitiesOf(t *testing.T, user any) []identityAnswer {
	t.Helper()
	raw, _ := json.Marshal(user.(map[string]any)["identities"])
	var ids []identityAnswer
	if err := json.Unmarshal(raw, &ids); err != nil || ids == nil {
		t.Fatalf("identities of %v: %v", user, err)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].AppID < ids[j].AppID })
	return ids
}

func wantIdentities(t *testing.T, user any, want ...identityAnswer) {
	t.Helper()
	if got := identitiesOf(t, user); !reflect.DeepEqual(got, want) {
		t.Fatalf("identities\n got %+v\nwant %+v", got, want)
	}
}

func weixin(app, openid, unionid string) identityAnswer {
	return identityAnswer{Platform: "weixin", AppID: app, OpenID: openid, UnionID: unionid}
}

// refusedOnEveryNode waits until every node refuses the token; the
// contract gives it one second.
func (d *accountsDeployment) refusedOnEveryNode(t *testing.T, token, what string) {
	t.Helper()
	took := eventually(t, 2*time.Second, what, func() bool {
		for _, n := range d.nodes {
			if call(t, "GET", n.URL+"/api/v1/auth/verify", token, nil).status != 401 {
				return false
			}
		}
		return true
	})
	if took >= time.Second {
		t.Errorf("%s reached every node after %v; the contract says within 1 s", what, took)
	}
}

func (d *accountsDeployment) worksOnEveryNode(t *testing.T, token string) {
	t.Helper()
	for i, n := range d.nodes {
		if r := call(t, "GET", n.URL+"/api/v1/auth/verify", token, nil); r.status != 200 {
			t.Fatalf("node %d: verify %d %s", i, r.status, r.body)
		}
	}
}

func TestAccountsOnEveryBackend(t *testing.T) {
	for _, b := range accountBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			d := startAccounts(t, b.env(t)...)
			t.Run("own sessions", func(t *testing.T) { testOwnSessions(t, d) })
			t.Run("unionid joins", func(t *testing.T) { testUnionIDJoins(t, d) })
			t.Run("link and unlink", func(t *testing.T) { testLinkAndUnlink(t, d) })
		})
	}
}
