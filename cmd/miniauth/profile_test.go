package main

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/miniauth/miniauth/internal/testimage"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/wxsim"
)

// upload sends one file as wx.uploadFile does: multipart, part "file".
func upload(t *testing.T, url, token, filename, ctype string, data []byte) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("note", "a form field wx.uploadFile may send")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	h.Set("Content-Type", ctype)
	pw, _ := mw.CreatePart(h)
	pw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return send(t, httpClient, req)
}

// TestNicknameRules runs the contract's nickname rules through a real node,
// on each database, with WeChat's content check on.
func TestNicknameRules(t *testing.T) {
	for _, db := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"SQLite", func(*testing.T) string { return "" }},
		{"PostgreSQL", func(t *testing.T) string { return testserver.Postgres(t) }},
		{"MySQL", func(t *testing.T) string { return testserver.MySQL(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			env := []string{"MINIAUTH_PROFILE_CONTENT_CHECK=true"}
			if u := db.url(t); u != "" {
				env = append(env, "MINIAUTH_DB_URL="+u)
			}
			testNicknameRules(t, startTestNode(t, env...))
		})
	}
}

func testNicknameRules(t *testing.T, n *testNode) {
	token := n.login(t, "").AccessToken
	set := func(nick any) response {
		return call(t, "PATCH", n.URL+"/api/v1/me", token, map[string]any{"nickname": nick})
	}
	ok := map[string]string{
		strings.Repeat("名", 32):             strings.Repeat("名", 32),
		"  小明 🐱 ":                           "小明 🐱",
		"👩‍👧👩‍👧 emoji":                      "👩‍👧👩‍👧 emoji",
		" " + strings.Repeat("a", 32) + " ": strings.Repeat("a", 32),
	}
	for in, want := range ok {
		r := set(in)
		if r.status != 200 || r.json(t)["nickname"] != want {
			t.Fatalf("nickname %q: %d %s", in, r.status, r.body)
		}
		if got := call(t, "GET", n.URL+"/api/v1/me", token, nil).json(t)["nickname"]; got != want {
			t.Fatalf("GET /me after %q: %v", in, got)
		}
	}
	before := call(t, "GET", n.URL+"/api/v1/me", token, nil).json(t)["nickname"]
	for _, bad := range []any{strings.Repeat("名", 33), "", " \t\u3000 ", "a\u202Eb", "a\u2066b", "a\x00b", "a\nb", 42, nil} {
		r := set(bad)
		if r.status != 400 || r.errorCode(t) != "invalid_request" {
			t.Errorf("nickname %q: %d %s", bad, r.status, r.body)
		}
	}
	r := set("I am " + wxsim.DefaultRiskyWord)
	if r.status != 400 || r.errorCode(t) != "invalid_request" || !strings.Contains(string(r.body), "content check") {
		t.Errorf("a nickname WeChat rejects: %d %s", r.status, r.body)
	}
	if got := call(t, "GET", n.URL+"/api/v1/me", token, nil).json(t)["nickname"]; got != before {
		t.Errorf("refused nicknames changed the user: %v", got)
	}
	if r := call(t, "PATCH", n.URL+"/api/v1/me", "", map[string]any{"nickname": "x"}); r.status != 401 {
		t.Errorf("without a token: %d", r.status)
	}
}

func TestAvatarUploadInTheDataDir(t *testing.T) {
	n := startTestNode(t)
	token := n.login(t, "").AccessToken
	up := func(name, ctype string, data []byte) response {
		return upload(t, n.URL+"/api/v1/me/avatar", token, name, ctype, data)
	}

	// A photo with a GPS position comes back without it, scaled down.
	r := up("photo.jpg", "image/jpeg", testimage.JPEGWithGPS(1600, 1200))
	if r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	url, _ := r.json(t)["avatar_url"].(string)
	if !strings.HasPrefix(url, n.URL+"/avatars/") || !strings.HasSuffix(url, ".jpg") {
		t.Fatalf("avatar_url %q; want %s/avatars/<sha256>.jpg", url, n.URL)
	}
	got := call(t, "GET", url, "", nil)
	h := got.header
	if got.status != 200 || h.Get("Content-Type") != "image/jpeg" || h.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET avatar: %d %v", got.status, h)
	}
	if bytes.Contains(got.body, []byte("Exif")) || bytes.Contains(got.body, []byte(testimage.GPSMarker)) {
		t.Fatal("the stored avatar still has the EXIF/GPS block")
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(got.body))
	if err != nil || cfg.Width != 512 || cfg.Height != 384 {
		t.Fatalf("stored image %dx%d, %v; want 512x384", cfg.Width, cfg.Height, err)
	}
	if head := call(t, "HEAD", url, "", nil); head.status != 200 || len(head.body) != 0 || head.header.Get("Content-Length") != h.Get("Content-Length") {
		t.Fatalf("HEAD avatar: %d %v", head.status, head.header)
	}
	if me := call(t, "GET", n.URL+"/api/v1/me", token, nil).json(t); me["avatar_url"] != url {
		t.Fatalf("GET /me avatar_url %v", me["avatar_url"])
	}

	// Sizes at the edge: the file, not the multipart body, is held to 1 MiB.
	small := testimage.PNG(testimage.Gradient(64, 64))
	if r := up("exact.png", "image/png", testimage.PadPNG(small, 1<<20)); r.status != 200 {
		t.Fatalf("exactly 1 MiB: %d %s", r.status, r.body)
	}
	if r := up("big.png", "image/png", testimage.PadPNG(small, 1<<20+1)); r.status != 413 || r.errorCode(t) != "payload_too_large" {
		t.Fatalf("1 MiB + 1 byte: %d %s", r.status, r.body)
	}

	// Types come from the bytes only.
	if r := up("renamed.gif", "image/gif", small); r.status != 200 {
		t.Fatalf("a PNG named .gif is a PNG: %d %s", r.status, r.body)
	}
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	for name, data := range map[string][]byte{"gif.png": gif, "text.png": []byte("just some text, not a picture\n")} {
		if r := up(name, "image/png", data); r.status != 400 || r.errorCode(t) != "invalid_request" {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
	// A decompression bomb is refused from its header.
	r = up("bomb.png", "image/png", testimage.HugePNG(5000, 5000))
	if r.status != 400 || !strings.Contains(string(r.body), "at most 4096") {
		t.Fatalf("5000x5000: %d %s", r.status, r.body)
	}
	// A transparent image stays PNG.
	r = up("t.png", "image/png", testimage.TransparentPNG(100, 100))
	if u, _ := r.json(t)["avatar_url"].(string); r.status != 200 || !strings.HasSuffix(u, ".png") {
		t.Fatalf("transparent: %d %s", r.status, r.body)
	}
	checkAvatarErrors(t, n, token)
}

func checkAvatarErrors(t *testing.T, n *testNode, token string) {
	t.Helper()
	for _, path := range []string{"/avatars/" + strings.Repeat("ab", 32) + ".jpg", "/avatars/x.jpg", "/avatars/..%2fminiauth.db", "/avatars/"} {
		if r := call(t, "GET", n.URL+path, "", nil); r.status != 404 || r.errorCode(t) != "not_found" {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
	if r := call(t, "POST", n.URL+"/api/v1/me/avatar", token, map[string]string{"file": "x"}); r.status != 400 {
		t.Errorf("JSON instead of multipart: %d %s", r.status, r.body)
	}
	if r := upload(t, n.URL+"/api/v1/me/avatar", "", "a.png", "image/png", []byte("x")); r.status != 401 {
		t.Errorf("without a token: %d", r.status)
	}
	// Content-Length past the route's limit is refused before reading.
	req, _ := http.NewRequestWithContext(context.Background(), "POST", n.URL+"/api/v1/me/avatar", io.LimitReader(zeros{}, 3<<20))
	req.ContentLength = 3 << 20
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if r := send(t, httpClient, req); r.status != 413 {
		t.Errorf("3 MiB body: %d %s", r.status, r.body)
	}
	// Other routes keep the JSON body limit.
	if r := call(t, "PATCH", n.URL+"/api/v1/me", token, `{"nickname":"`+strings.Repeat("a", 70<<10)+`"}`); r.status != 413 {
		t.Errorf("70 KiB JSON: %d", r.status)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
