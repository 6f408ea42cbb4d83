package main

import (
	"bufio"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/sqlite"
)

// A lone node on SQLite keeps what it verified past cache_ttl, since the
// file tells it that no one else wrote; another process's write empties its
// caches, and the next verify and /me ask the store again. (Tokens are
// opaque alone here: a sealed one is verified without the cache.)
func TestSQLiteNodeTrustsItsCachesUntilAnotherProcessWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "miniauth.db")
	n := startTestNode(t, "MINIAUTH_DB_URL=sqlite://"+path, "MINIAUTH_TOKENS_CACHE_TTL=100ms", "MINIAUTH_TOKENS_SEAL=false")
	a := n.login(t, "")
	verify := func() {
		t.Helper()
		if r := call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil); r.status != 200 {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
	}
	verify()
	misses, resets := cacheMetric(t, n, `result="miss"`), cacheMetric(t, n, "resets")
	time.Sleep(300 * time.Millisecond) // three cache_ttls
	verify()
	if got := cacheMetric(t, n, `result="miss"`); got != misses {
		t.Fatalf("a verify after three cache_ttls with no other writer asked the store (%v misses, were %v)", got, misses)
	}

	other, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	nick := "改名了"
	if _, err := other.UpdateUser(context.Background(), a.User.ID, miniauth.UserUpdate{Nickname: &nick, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "a reset after another process's write", func() bool {
		return cacheMetric(t, n, "resets") > resets
	})
	verify()
	if got := cacheMetric(t, n, `result="miss"`); got != misses+1 {
		t.Errorf("after the reset: %v misses, want %v", got, misses+1)
	}
	if got := call(t, "GET", n.URL+"/api/v1/me", a.AccessToken, nil).json(t)["nickname"]; got != nick {
		t.Errorf("/me after another process renamed the user: %v", got)
	}
}

// cacheMetric is the value of the verify cache's series whose line holds
// which ("resets", or a lookups label such as `result="hit"`).
func cacheMetric(t *testing.T, n *testNode, which string) float64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(string(call(t, "GET", n.URL+"/metrics", "", nil).body)))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "miniauth_verify_cache_") && strings.Contains(line, which) {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no verify cache series with %s in /metrics", which)
	return 0
}
