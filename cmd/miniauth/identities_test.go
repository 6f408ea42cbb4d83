package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// A unionid joins the account within the platform, also one that appears
// later; user.openid is the identity the session logged in with.
func testUnionIDJoins(t *testing.T, d *accountsDeployment) {
	u, o1, o2 := "union-"+miniauth.NewID()[:8], "join-1-"+miniauth.NewID()[:8], "join-2-"+miniauth.NewID()[:8]
	first := d.login(t, app1, o1, u, nil)
	if !*first.NewUser {
		t.Fatal("first login: new_user false")
	}
	second := d.login(t, app2, o2, u, nil)
	if *second.NewUser || second.User.ID != first.User.ID || second.User.OpenID != o2 || second.User.UnionID != u {
		t.Fatalf("same unionid, another app: %+v (new_user %v), want account %s", second.User, *second.NewUser, first.User.ID)
	}
	all := []identityAnswer{weixin(app1, o1, u), weixin(app2, o2, u)}
	wantIdentities(t, d.me(t, second.AccessToken), all...)
	// The account is cached once for both sessions; each sees its own
	// identity, whichever asked first.
	for _, s := range []struct{ token, openid string }{{first.AccessToken, o1}, {second.AccessToken, o2}, {first.AccessToken, o1}} {
		if me := d.me(t, s.token); me["openid"] != s.openid {
			t.Errorf("/me: openid %v, want %s", me["openid"], s.openid)
		}
	}
	refreshed := call(t, "POST", d.nodes[1].URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": second.RefreshToken})
	if refreshed.status != 200 {
		t.Fatalf("refresh: %d %s", refreshed.status, refreshed.body)
	}
	wantIdentities(t, refreshed.json(t)["user"], all...)
	if user := refreshed.json(t)["user"].(map[string]any); user["openid"] != o2 {
		t.Errorf("refresh answers openid %v, want %s", user["openid"], o2)
	}

	// No unionid at first: an account of its own; the unionid reported
	// later is kept and joins from then on.
	p1, p2, v := "late-1-"+miniauth.NewID()[:8], "late-2-"+miniauth.NewID()[:8], "late-union-"+miniauth.NewID()[:8]
	a := d.login(t, app1, p1, "", nil)
	meOnLoginNode := func() map[string]any {
		return call(t, "GET", d.nodes[0].URL+"/api/v1/me", a.AccessToken, nil).json(t)
	}
	if me := meOnLoginNode(); me["unionid"] != "" {
		t.Fatalf("/me before the unionid: %v", me)
	}
	again := d.login(t, app1, p1, v, nil)
	if *again.NewUser || again.User.ID != a.User.ID || again.User.UnionID != v {
		t.Fatalf("unionid filled in: %+v", again.User)
	}
	// The node that saw the unionid filled in drops its cached account at
	// once (the others within the profile TTL).
	if me := meOnLoginNode(); me["unionid"] != v {
		t.Errorf("/me on the login's node right after: unionid %v, want %s", me["unionid"], v)
	}
	joined := d.login(t, app3, p2, v, nil)
	if *joined.NewUser || joined.User.ID != a.User.ID {
		t.Fatalf("late unionid joins: new_user %v, account %s want %s", *joined.NewUser, joined.User.ID, a.User.ID)
	}
	wantIdentities(t, d.me(t, joined.AccessToken), weixin(app1, p1, v), weixin(app3, p2, v))
}

// POST and DELETE /api/v1/me/identities.
func testLinkAndUnlink(t *testing.T, d *accountsDeployment) {
	ao1, ao2, bo3 := "link-a1-"+miniauth.NewID()[:8], "link-a2-"+miniauth.NewID()[:8], "link-b3-"+miniauth.NewID()[:8]
	a := d.login(t, app1, ao1, "", nil)
	b := d.login(t, app3, bo3, "", nil)
	link := func(token string, body any) response {
		return call(t, "POST", d.nodes[1].URL+"/api/v1/me/identities", token, body)
	}

	r := link(a.AccessToken, map[string]string{"appid": app2, "code": d.code(t, app2, ao2, "")})
	if r.status != 200 {
		t.Fatalf("link: %d %s", r.status, r.body)
	}
	if user := r.json(t); user["id"] != a.User.ID || user["openid"] != ao1 {
		t.Errorf("link answers %v", user)
	}
	wantIdentities(t, r.json(t), weixin(app1, ao1, ""), weixin(app2, ao2, ""))
	viaApp2 := d.login(t, app2, ao2, "", nil)
	if *viaApp2.NewUser || viaApp2.User.ID != a.User.ID {
		t.Fatalf("login with the linked identity: %+v", viaApp2.User)
	}

	// Conflicts change nothing, on either account.
	beforeA, beforeB := d.me(t, a.AccessToken), d.me(t, b.AccessToken)
	for name, body := range map[string]map[string]string{
		"another account's identity":    {"appid": app3, "code": d.code(t, app3, bo3, "")},
		"a second identity in one app":  {"appid": app2, "code": d.code(t, app2, "someone-else-"+miniauth.NewID()[:8], "")},
		"another account's, by unionid": {"appid": app3, "code": d.code(t, app3, bo3, "a-unionid")},
	} {
		r := link(a.AccessToken, body)
		if r.status != 409 || r.errorCode(t) != "conflict" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if afterA, afterB := d.me(t, a.AccessToken), d.me(t, b.AccessToken); !reflect.DeepEqual(beforeA, afterA) || !reflect.DeepEqual(beforeB, afterB) {
		t.Errorf("a refused link changed an account:\n%v\n%v\n%v\n%v", beforeA, afterA, beforeB, afterB)
	}
	for name, tc := range map[string]struct {
		body any
		code string
	}{
		"no appid":      {map[string]string{"code": d.code(t, app2, "x-"+miniauth.NewID()[:8], "")}, "invalid_request"},
		"unknown appid": {map[string]string{"appid": "wxnotconfigured01", "code": "c"}, "invalid_request"},
		"bad code":      {map[string]string{"appid": app2, "code": "not-a-code"}, "invalid_code"},
		"no code":       {map[string]string{"appid": app2}, "invalid_code"},
		"not JSON":      {"{", "invalid_request"},
	} {
		if r := link(a.AccessToken, tc.body); r.status != 400 || r.errorCode(t) != tc.code {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := link("", map[string]string{"appid": app2, "code": "c"}); r.status != 401 {
		t.Errorf("link without a token: %d", r.status)
	}

	unlink := func(token, app string) response {
		return call(t, "DELETE", d.nodes[0].URL+"/api/v1/me/identities/"+app, token, nil)
	}
	if r := unlink(a.AccessToken, app1); r.status != 409 || r.errorCode(t) != "conflict" {
		t.Errorf("unlink the current session's identity: %d %s", r.status, r.body)
	}
	if r := unlink(a.AccessToken, app3); r.status != 404 || r.errorCode(t) != "not_found" {
		t.Errorf("unlink an app the account has no identity in: %d %s", r.status, r.body)
	}
	if r := unlink(a.AccessToken, app2); r.status != 204 {
		t.Fatalf("unlink: %d %s", r.status, r.body)
	}
	// The sessions that logged in with it end; the account keeps the other.
	d.refusedOnEveryNode(t, viaApp2.AccessToken, "unlinking the identity of a session")
	// Another node's /me sees the change within the cache bound (1 s, as
	// for sessions): at once with Redis events, after its TTL without.
	want := []identityAnswer{weixin(app1, ao1, "")}
	eventually(t, time.Second, "the unlink reaching /me on another node", func() bool {
		return reflect.DeepEqual(identitiesOf(t, d.me(t, a.AccessToken)), want)
	})
	if r := unlink(a.AccessToken, app1); r.status != 409 || r.errorCode(t) != "conflict" {
		t.Errorf("unlink the last identity: %d %s", r.status, r.body)
	}
	// The unlinked identity logs in to an account of its own.
	if alone := d.login(t, app2, ao2, "", nil); !*alone.NewUser || alone.User.ID == a.User.ID {
		t.Errorf("login with the unlinked identity: new_user %v, account %s", *alone.NewUser, alone.User.ID)
	}
}
