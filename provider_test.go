package miniauth

import (
	"context"
	"testing"
)

// fakeProvider answers every code with one openid, and counts its calls.
type fakeProvider struct {
	openID string
	calls  int
}

func (f *fakeProvider) Code2Session(context.Context, string, string) (*LoginSession, error) {
	f.calls++
	return &LoginSession{OpenID: f.openID}, nil
}

// A login is exchanged by its app's provider; apps without one are
// WeChat's; DefaultApp takes logins that name no app.
func TestLoginAsksTheAppsProvider(t *testing.T) {
	qq := &fakeProvider{openID: "qq-user"}
	wx := &fakeWeChat{sessions: map[string]*WeChatSession{"c2": {OpenID: "wx-user"}}}
	svc := NewService(newFakeUsers(), newFakeSessions(), nil, wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway,
		Apps:       []string{"wxapp", "qqapp"},
		DefaultApp: "wxapp",
		Providers:  map[string]LoginProvider{"qqapp": qq},
	})
	ctx := context.Background()
	res, err := svc.Login(ctx, LoginRequest{AppID: "qqapp", Code: "c1"})
	if err != nil || res.User.OpenID != "qq-user" || res.User.AppID != "qqapp" || qq.calls != 1 {
		t.Fatalf("qq login: %+v %v (provider calls %d)", res, err, qq.calls)
	}
	res, err = svc.Login(ctx, LoginRequest{Code: "c2"})
	if err != nil || res.User.AppID != "wxapp" || res.User.OpenID != "wx-user" || qq.calls != 1 {
		t.Fatalf("a login without appid: %+v %v", res, err)
	}
	if _, err := svc.Login(ctx, LoginRequest{AppID: "other", Code: "c3"}); ErrorCode(err) != EInvalidRequest {
		t.Errorf("unknown app: %v", err)
	}
}
