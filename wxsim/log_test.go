package wxsim_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/miniauth/miniauth/internal/testkit"
	"github.com/miniauth/miniauth/wxsim"
)

// The debug log names endpoints and outcomes, never codes, tokens, secrets
// or session keys.
func TestLogHasNoSecrets(t *testing.T) {
	t.Parallel()
	var buf testkit.LogBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := newClock()
	sim := wxsim.New(wxsim.Options{Apps: map[string]string{appA: secretA}, Now: clk.Now, Logger: logger})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	e := &env{t: t, sim: sim, clk: clk, srv: srv, base: srv.URL + "/"}

	code, openID := e.loginCode(appA, "", "")
	m := e.code2Session(appA, secretA, code)
	e.code2Session(appA, secretA, code)
	tok := e.accessToken()
	e.checkSession(tok, openID, "deadbeef")
	phone := e.phoneCode(appA, openID, "13800138000")
	e.phoneNumber(tok, `{"code":"`+phone+`"}`)
	e.addFault(`{"endpoint":"cgi-bin/token","errcode":-1}`)
	e.plainToken(appA, secretA)

	out := buf.String()
	if !strings.Contains(out, "endpoint=sns/jscode2session") || !strings.Contains(out, "errcode=40163") {
		t.Fatalf("debug log lacks the calls:\n%s", out)
	}
	for name, secret := range map[string]string{
		"login code": code, "session_key": m["session_key"].(string), "access token": tok,
		"phone code": phone, "secret": secretA, "phone": "13800138000",
	} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains the %s:\n%s", name, out)
		}
	}
}
