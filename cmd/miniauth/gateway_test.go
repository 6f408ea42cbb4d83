package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testkit"
	"github.com/miniauth/miniauth/internal/testserver"
)

// readmeNginxBlock is the nginx example of the README, verbatim: the
// first ```nginx block.
func readmeNginxBlock(t *testing.T) string {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```nginx\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 || !strings.Contains(block, "auth_request") {
		t.Fatal("README.md has no ```nginx block with auth_request")
	}
	return block
}

func findNginx(t *testing.T) string {
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv(testserver.RequireEnv) != "" {
		t.Fatalf("nginx is not installed (%s is set)", testserver.RequireEnv)
	}
	t.Skip("nginx is not installed (scripts/test.sh installs it)")
	return ""
}

// upstreamRecorder is the service behind the gateway: it records what it
// was sent.
type upstreamRecorder struct {
	mu     sync.Mutex
	hits   int
	userID string
	openid string
}

func (u *upstreamRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.hits++
	u.userID, u.openid = r.Header.Get("X-User-Id"), r.Header.Get("X-Openid")
	fmt.Fprint(w, "orders")
}

func (u *upstreamRecorder) seen() (int, string, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hits, u.userID, u.openid
}

// startNginx runs nginx on a free loopback port with the README's block in
// front of upstream and miniauth, and returns its URL.
func startNginx(t *testing.T, upstream, miniauthURL string) string {
	bin := findNginx(t)
	dir := t.TempDir()
	host := func(raw string) string { u, _ := url.Parse(raw); return u.Host }
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
    upstream miniauth { server %[2]s; }
    upstream orders { server %[3]s; }
    server {
        listen %[4]s;
%[5]s
    }
}
`, dir, host(miniauthURL), host(upstream), addr, readmeNginxBlock(t))
		path := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
		out := &testkit.LogBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() { cmd.Process.Kill(); <-exited }
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			select {
			case <-exited:
				logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
				if attempt < 3 && strings.Contains(string(logs), "Address already in use") {
					goto retry
				}
				t.Fatalf("nginx exited: %s %s", out, logs)
			default:
			}
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				t.Cleanup(stop)
				return "http://" + addr
			}
		}
		stop()
		t.Fatal("nginx did not start listening")
	retry:
	}
}

// The README's nginx block in front of a real node and a small upstream,
// with opaque and JWT access tokens.
func TestNginxGateway(t *testing.T) {
	for _, format := range []string{"opaque", "jwt"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			n := startTestNode(t, "MINIAUTH_TOKENS_FORMAT="+format)
			up := &upstreamRecorder{}
			upstream := httptest.NewServer(up)
			t.Cleanup(upstream.Close)
			gw := startNginx(t, upstream.URL, n.URL) + "/api/orders/1"

			if r := call(t, "GET", gw, "", nil); r.status != 401 {
				t.Errorf("no token: %d", r.status)
			}
			if r := call(t, "GET", gw, "mat_"+strings.Repeat("x", 43), nil); r.status != 401 {
				t.Errorf("unknown token: %d", r.status)
			}
			if hits, _, _ := up.seen(); hits != 0 {
				t.Fatalf("the upstream was hit %d times without a valid token", hits)
			}
			a := n.login(t, "")
			req, _ := http.NewRequest("GET", gw, nil)
			req.Header.Set("Authorization", "Bearer "+a.AccessToken)
			req.Header.Set("X-User-Id", "spoofed")
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			hits, userID, openid := up.seen()
			if resp.StatusCode != 200 || hits != 1 || userID != a.User.ID || openid != a.User.OpenID {
				t.Errorf("valid token: status %d, upstream hits %d, X-User-Id %q, X-Openid %q; want %q %q",
					resp.StatusCode, hits, userID, openid, a.User.ID, a.User.OpenID)
			}

			if r := call(t, "POST", n.URL+"/api/v1/auth/logout", a.AccessToken, nil); r.status != 204 {
				t.Fatalf("logout: %d", r.status)
			}
			took := eventually(t, 2*time.Second, "logout seen through nginx", func() bool {
				return call(t, "GET", gw, a.AccessToken, nil).status == 401
			})
			if took >= time.Second {
				t.Errorf("refused through nginx after %v; the contract says within 1 s", took)
			}
			if hits, _, _ := up.seen(); hits != 1 {
				t.Errorf("the upstream was hit %d times; want 1", hits)
			}
		})
	}
}
