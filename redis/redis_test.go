package redis_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/storetest"
)

var prefixes atomic.Int64

// open connects to url with a key prefix of the test's own.
func open(t testing.TB, url string) *redis.Client {
	t.Helper()
	prefix := fmt.Sprintf("x%d_%s:", prefixes.Add(1), strings.ReplaceAll(t.Name(), "/", "_"))
	c, err := redis.Open(context.Background(), url, redis.Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func code(err error) string { return miniauth.ErrorCode(err) }

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("bad prefix", func(t *testing.T) {
		_, err := redis.Open(ctx, testserver.Redis(t), redis.Options{KeyPrefix: "a{b}:"})
		if err == nil {
			t.Fatal("a prefix with a hash tag was accepted")
		}
	})

	t.Run("bad URL keeps the password out", func(t *testing.T) {
		for _, u := range []string{"http://u:s3cret@127.0.0.1:1/0", "redis://u:s3cret@127.0.0.1:1/x", "redis://u:s3cret@[::1/0"} {
			_, err := redis.Open(ctx, u, redis.Options{})
			if err == nil {
				t.Fatalf("Open(%q) succeeded", u)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		}
	})

	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		addr := l.Addr().String()
		l.Close()
		start := time.Now()
		_, err = redis.Open(ctx, "redis://:s3cret@"+addr+"/0", redis.Options{})
		if code(err) != miniauth.EUpstreamUnavailable {
			t.Fatalf("Open with nothing listening = %v, want code %s", err, miniauth.EUpstreamUnavailable)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Open took %v to fail", d)
		}
	})

	t.Run("server that never answers", func(t *testing.T) {
		// Accepts connections and reads, but never writes: only the read
		// timeout ends the wait.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					buf := make([]byte, 1024)
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
					}
				}()
			}
		}()
		start := time.Now()
		_, err = redis.Open(ctx, "redis://"+l.Addr().String()+"/0", redis.Options{})
		if code(err) != miniauth.EUpstreamUnavailable {
			t.Fatalf("Open of a silent server = %v, want code %s", err, miniauth.EUpstreamUnavailable)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Open took %v to give up on a silent server", d)
		}
	})
}

// TestEmptyIDsNameNothing: an empty id would name the key of no session
// ("s:{}"), so it is refused or ignored before any key is built.
func TestEmptyIDsNameNothing(t *testing.T) {
	ctx := context.Background()
	st := open(t, testserver.Redis(t)).Sessions()
	now := time.Now()
	must(t, st.RevokeSession(ctx, ""))
	must(t, st.TouchSessions(ctx, now, []string{""}))
	bad := storetest.NewSession(miniauth.NewID(), now)
	bad.ID = ""
	if err := st.CreateSession(ctx, bad); code(err) != miniauth.EInvalidRequest {
		t.Errorf("CreateSession without an id = %v, want invalid_request", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
