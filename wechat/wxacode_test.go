package wechat_test

import (
	"bytes"
	"context"
	"image/png"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

const codePage = "pages/web-login/web-login"

// codeTimeout is generous: drawing a code takes the simulator ~10 ms, but
// over 100 ms under the race detector, and more on a busy machine.
const codeTimeout = 20 * time.Second

func TestSimUnlimitedCodeIsCachedPerScene(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *wechat.Options) { o.CodeCacheEntries = 2; o.Timeout = codeTimeout })
	ctx := context.Background()
	img, err := e.c.UnlimitedCode(ctx, appID, "scene-1", codePage)
	if err != nil {
		t.Fatal(err)
	}
	if img.ContentType != "image/png" {
		t.Fatalf("Content-Type %q", img.ContentType)
	}
	if _, err := png.Decode(bytes.NewReader(img.Data)); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	again, err := e.c.UnlimitedCode(ctx, appID, "scene-1", codePage)
	if err != nil || !bytes.Equal(again.Data, img.Data) {
		t.Fatalf("again: %v", err)
	}
	if n := e.calls("wxa/getwxacodeunlimit"); n != 1 {
		t.Fatalf("%d calls for one scene, want 1 (the second from the cache)", n)
	}
	// Two more scenes push the first out of a cache of two.
	for _, scene := range []string{"scene-2", "scene-3", "scene-1"} {
		if _, err := e.c.UnlimitedCode(ctx, appID, scene, codePage); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.calls("wxa/getwxacodeunlimit"); n != 4 {
		t.Fatalf("%d calls, want 4 (scene-1 forgotten by a cache of two)", n)
	}
}

func TestSimUnlimitedCodeRetriesOnceWithAFreshToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *wechat.Options) { o.Timeout = codeTimeout })
	ctx := context.Background()
	if _, err := e.c.AccessToken(ctx, appID); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddFault(wxsim.Fault{Endpoint: "wxa/getwxacodeunlimit", ErrCode: 40001}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.UnlimitedCode(ctx, appID, "scene", codePage); err != nil {
		t.Fatalf("after one 40001: %v", err)
	}
	st := e.sim.Stats()
	if st.Calls["wxa/getwxacodeunlimit"] != 2 || st.Calls["cgi-bin/stable_token"] != 2 {
		t.Fatalf("calls %v: want 2 code calls and 2 stable_token (the first, then a forced one)", st.Calls)
	}
}

func TestSimUnlimitedCodeErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, f := range []wxsim.Fault{{ErrCode: 45009}, {ErrCode: 41030}, {HTTPStatus: 502}, {ErrCode: -1}} {
		f.Endpoint = "wxa/getwxacodeunlimit"
		if err := e.sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
		_, err := e.c.UnlimitedCode(ctx, appID, "scene", codePage)
		if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
			t.Errorf("fault %+v: %v, want upstream_unavailable", f, err)
		}
	}
	if _, err := e.c.UnlimitedCode(ctx, "wxunknown", "scene", codePage); miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
		t.Errorf("unknown app: %v", err)
	}
	if _, err := e.c.UnlimitedCode(ctx, appID, "", codePage); miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
		t.Errorf("empty scene: %v", err)
	}
}
