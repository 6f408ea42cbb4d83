package platforms_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/alipaysign"
	"github.com/miniauth/miniauth/wxsim"
)

var alipayRow = rows[2]

// signedAnswer is a well-formed success answer for openid, signed by key.
func signedAnswer(t *testing.T, openid string, sign func([]byte) string) string {
	t.Helper()
	inner, _ := json.Marshal(map[string]any{"open_id": openid, "user_id": "2088000000000001", "access_token": "x", "expires_in": 1})
	body, _ := json.Marshal(map[string]any{"alipay_system_oauth_token_response": json.RawMessage(inner), "sign": sign(inner)})
	return string(body)
}

// Only an answer signed by Alipay's key is believed: one signed by another
// key, or not signed, could name any user.
func TestAlipayRefusesAnswersNotSignedByAlipay(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, alipayRow, nil)
	forged := func(b []byte) string { s, _ := alipaysign.Sign(otherKey(), b); return s }
	for name, body := range map[string]string{
		"signed by another key": signedAnswer(t, "victim", forged),
		"unsigned":              signedAnswer(t, "victim", func([]byte) string { return "" }),
		"signature not base64":  signedAnswer(t, "victim", func([]byte) string { return "%%%" }),
	} {
		e.sim.AddFault(wxsim.Fault{Endpoint: "alipay/gateway.do", RawBody: body})
		code, _, _ := e.sim.LoginCode(alipayRow.appID, "", "")
		s, err := p.Code2Session(context.Background(), alipayRow.appID, code)
		if s != nil || miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
			t.Errorf("%s: %+v %v", name, s, err)
		}
	}
	if got := counted(t, e.reg, alipayRow, "bad_signature"); got != 3 {
		t.Errorf("bad_signature counted %v times, want 3", got)
	}
	// The same answer signed by the gateway's own key would be believed:
	// the refusals above are the signature's doing.
	code, openid, _ := e.sim.LoginCode(alipayRow.appID, "", "")
	if s, err := p.Code2Session(context.Background(), alipayRow.appID, code); err != nil || s.OpenID != openid {
		t.Errorf("a genuine answer: %+v %v", s, err)
	}
}

// Apps not moved to open_id are answered user_id: the user is that.
func TestAlipayUserIDWhenNoOpenID(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, alipayRow, nil)
	code, _, _ := e.sim.LoginCode(alipayRow.appID, "2088123412341234", "")
	s, err := p.Code2Session(context.Background(), alipayRow.appID, code)
	if err != nil || s.OpenID != "2088123412341234" || s.SessionKey != "" {
		t.Errorf("user_id login: %+v %v", s, err)
	}
}

func TestAlipayNeedsBothKeys(t *testing.T) {
	e := newEnv(t)
	for name, opts := range map[string]func() (any, any){
		"no private key": func() (any, any) { return nil, e.gateway },
		"no public key":  func() (any, any) { return appKey(), nil },
	} {
		priv, pub := opts()
		_, err := newAlipayProvider(e, priv, pub)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
