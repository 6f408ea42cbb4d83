package wxsim_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/miniauth/miniauth/wxsim"
)

// codeImage calls getwxacodeunlimit and returns the Content-Type and body.
func (e *env) codeImage(token, body string) (string, []byte) {
	e.t.Helper()
	u := e.base + "wxa/getwxacodeunlimit?" + url.Values{"access_token": {token}}.Encode()
	resp, err := e.srv.Client().Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	return resp.Header.Get("Content-Type"), b
}

// newEnvWithPages is newEnv with published pages.
func newEnvWithPages(t *testing.T, pages ...string) *env {
	clk := newClock()
	sim := wxsim.New(wxsim.Options{Apps: map[string]string{appA: secretA}, Now: clk.Now, Pages: pages})
	mux := http.NewServeMux()
	mux.Handle("/_wxsim/", http.StripPrefix("/_wxsim", sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, sim: sim, clk: clk, srv: srv, base: srv.URL + "/_wxsim/"}
}

// readQR decodes the QR code in a PNG.
func readQR(t *testing.T, b []byte) (string, image.Image) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code in the image: %v", err)
	}
	return res.GetText(), img
}

func TestCodeUnlimitDrawsTheSceneAsAQRCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.accessToken()
	for _, tt := range []struct {
		scene     string
		width     int
		wantWidth int
	}{
		{"AAECAwQFBgcICQoLDA0ODw", 0, 430},       // a ticket: 22 base64url characters
		{"a=1&b=2!#$'()*+,/:;?@-._~x", 100, 280}, // every other character WeChat allows, and too narrow
		{strings.Repeat("Z", 32), 2000, 1280},    // the longest scene, and too wide
		{"user=42", 600, 600},
	} {
		body, _ := json.Marshal(map[string]any{"scene": tt.scene, "page": "pages/web-login/web-login", "width": tt.width})
		ct, b := e.codeImage(tok, string(body))
		if ct != "image/png" {
			t.Fatalf("%s: Content-Type %q, body %.100s", tt.scene, ct, b)
		}
		text, img := readQR(t, b)
		if text != tt.scene {
			t.Errorf("QR code says %q, want %q", text, tt.scene)
		}
		if w := img.Bounds().Dx(); w != tt.wantWidth {
			t.Errorf("%s: width %d, want %d", tt.scene, w, tt.wantWidth)
		}
	}
	if n := e.sim.Stats().Calls["wxa/getwxacodeunlimit"]; n != 4 {
		t.Errorf("stats count %d calls, want 4", n)
	}
}

func TestCodeUnlimitErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.accessToken()
	ok := `{"scene":"abc","page":"pages/index/index"}`
	for _, tt := range []struct {
		name, token, body string
		errcode           int
	}{
		{"missing token", "", ok, 41001},
		{"unknown token", "86_nope", ok, 40001},
		{"not JSON", tok, `scene=abc`, 47001},
		{"empty scene", tok, `{"scene":""}`, 40169},
		{"scene too long", tok, `{"scene":"` + strings.Repeat("a", 33) + `"}`, 40169},
		{"scene with a space", tok, `{"scene":"a b"}`, 40169},
		{"scene not ASCII", tok, `{"scene":"票"}`, 40169},
		{"page with a leading slash", tok, `{"scene":"abc","page":"/pages/index/index"}`, 41030},
		{"page with a query", tok, `{"scene":"abc","page":"pages/index/index?x=1"}`, 41030},
		{"unknown env_version", tok, `{"scene":"abc","env_version":"beta"}`, 40097},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := url.Values{"access_token": {tt.token}}
			wantErr(t, e.wechat(http.MethodPost, "wxa/getwxacodeunlimit", u, tt.body), tt.errcode)
		})
	}
}

func TestCodeUnlimitChecksPagesWhenAsked(t *testing.T) {
	t.Parallel()
	e := newEnvWithPages(t, "pages/index/index")
	tok := e.accessToken()
	u := url.Values{"access_token": {tok}}
	wantErr(t, e.wechat(http.MethodPost, "wxa/getwxacodeunlimit", u, `{"scene":"abc","page":"pages/unpublished/x"}`), 41030)
	// An unpublished page is fine without check_path, as for a development build.
	if ct, _ := e.codeImage(tok, `{"scene":"abc","page":"pages/unpublished/x","check_path":false}`); ct != "image/png" {
		t.Fatalf("check_path false: %s", ct)
	}
	if ct, _ := e.codeImage(tok, `{"scene":"abc","page":"pages/index/index"}`); ct != "image/png" {
		t.Fatalf("a published page: %s", ct)
	}
}

func TestCodeUnlimitFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.accessToken()
	e.addFault(`{"endpoint":"wxa/getwxacodeunlimit","errcode":45009,"count":1}`)
	u := url.Values{"access_token": {tok}}
	wantErr(t, e.wechat(http.MethodPost, "wxa/getwxacodeunlimit", u, `{"scene":"abc"}`), 45009)
	if ct, _ := e.codeImage(tok, `{"scene":"abc"}`); ct != "image/png" {
		t.Fatalf("after the fault: %s", ct)
	}
}
