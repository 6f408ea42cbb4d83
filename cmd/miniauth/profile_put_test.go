package main

import "testing"

// Mini programs cannot send PATCH: PUT /api/v1/me sets the nickname the same
// way, with the same rules.
func TestNicknameByPUT(t *testing.T) {
	n := startTestNode(t)
	token := n.login(t, "").AccessToken
	if r := call(t, "PUT", n.URL+"/api/v1/me", token, map[string]any{"nickname": "  小明 🐱 "}); r.status != 200 || r.json(t)["nickname"] != "小明 🐱" {
		t.Fatalf("PUT /me: %d %s", r.status, r.body)
	}
	if got := call(t, "GET", n.URL+"/api/v1/me", token, nil).json(t)["nickname"]; got != "小明 🐱" {
		t.Fatalf("GET /me after PUT: %v", got)
	}
	if r := call(t, "PUT", n.URL+"/api/v1/me", token, map[string]any{"nickname": "a\u202Eb"}); r.status != 400 || r.errorCode(t) != "invalid_request" {
		t.Errorf("a bidi override by PUT: %d %s", r.status, r.body)
	}
	if r := call(t, "PUT", n.URL+"/api/v1/me", "", map[string]any{"nickname": "x"}); r.status != 401 {
		t.Errorf("PUT without a token: %d", r.status)
	}
}
