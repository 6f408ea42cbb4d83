package redis

// White-box tests: they look at the keys themselves (expiry, hash slot),
// which the public API does not show.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/storetest"
	goredis "github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { testserver.Main(m) }

var prefixes atomic.Int64

// testPrefix gives each test its own keys on the shared server.
func testPrefix(t testing.TB) string {
	return fmt.Sprintf("t%d_%s:", prefixes.Add(1), strings.ReplaceAll(t.Name(), "/", "_"))
}

func openInternal(t testing.TB) *Client {
	t.Helper()
	return openURL(t, testserver.Redis(t))
}

func openURL(t testing.TB, url string) *Client {
	t.Helper()
	c, err := Open(context.Background(), url, Options{KeyPrefix: testPrefix(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// crc16 is Redis Cluster's key hash (CRC-16/XMODEM).
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// keySlot is the cluster slot of key, hash tags included, as CLUSTER KEYSLOT
// computes it.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16([]byte(key)) % 16384)
}

func TestKeySlot(t *testing.T) {
	// Answers of CLUSTER KEYSLOT from a cluster-enabled redis-server 7.0.
	for key, want := range map[string]int{
		"123456789":                     12739,
		"miniauth:s:{abc}":              7638,
		"miniauth:s:{abc}:used":         7638,
		"miniauth:s:{abc}:rot":          7638,
		"miniauth:at:deadbeef":          3122,
		"foo{}bar":                      14292,
		"{user1000}.following":          3443,
		"t:wx:{wxdevappid0000000}:lock": 11945,
	} {
		if got := keySlot(key); got != want {
			t.Errorf("keySlot(%q) = %d, want %d", key, got, want)
		}
	}
}

// slotChecker is a go-redis hook that fails the test when a script or a
// multi-key command touches keys of more than one slot: Redis Cluster
// rejects those (CROSSSLOT).
type slotChecker struct {
	t       testing.TB
	mu      sync.Mutex
	scripts map[string]int // script calls seen, by number of keys
}

func (h *slotChecker) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *slotChecker) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.check(cmd)
		return next(ctx, cmd)
	}
}

func (h *slotChecker) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, cmd := range cmds {
			h.check(cmd)
		}
		return next(ctx, cmds)
	}
}

func (h *slotChecker) check(cmd goredis.Cmder) {
	args := cmd.Args()
	var keys []string
	switch cmd.Name() {
	case "eval", "evalsha":
		n, _ := args[2].(int)
		for _, k := range args[3 : 3+n] {
			keys = append(keys, k.(string))
		}
		h.mu.Lock()
		h.scripts[fmt.Sprint(n)]++
		h.mu.Unlock()
	case "del", "unlink", "exists", "mget", "watch":
		for _, k := range args[1:] {
			keys = append(keys, k.(string))
		}
	case "multi":
		h.t.Errorf("MULTI used: its keys must share a slot too; extend the checker")
	}
	for _, k := range keys[min(1, len(keys)):] {
		if keySlot(k) != keySlot(keys[0]) {
			h.t.Errorf("%s touches keys of different slots: %q (%d) and %q (%d)",
				cmd.Name(), keys[0], keySlot(keys[0]), k, keySlot(k))
		}
	}
}

func TestClusterSafeKeys(t *testing.T) {
	ForEachDeployment(t, func(t *testing.T, redisURL string) {
		c := openURL(t, redisURL)
		h := &slotChecker{t: t, scripts: map[string]int{}}
		c.rdb.AddHook(h)
		ctx := context.Background()
		now := time.Now()

		// Every operation of every store, so that every script runs.
		st := c.Sessions()
		s := storetest.NewSession(miniauth.NewID(), now)
		must(t, st.CreateSession(ctx, s))
		if _, err := st.SessionByAccessHash(ctx, s.AccessHash); err != nil {
			t.Fatal(err)
		}
		rot := storetest.NewRotation(now.Add(time.Minute))
		if _, err := st.RotateRefresh(ctx, s.RefreshHash, rot); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RotateRefresh(ctx, s.RefreshHash, storetest.NewRotation(now)); !isReused(err) {
			t.Fatalf("reuse: %v", err)
		}
		must(t, st.TouchSessions(ctx, now, []string{s.ID}))
		if _, err := st.UserSessions(ctx, s.UserID, time.Now()); err != nil {
			t.Fatal(err)
		}
		must(t, st.RevokeSession(ctx, s.ID))
		s2 := storetest.NewSession(miniauth.NewID(), now)
		must(t, st.CreateSession(ctx, s2))
		if _, err := st.RevokeUserSessions(ctx, s2.UserID); err != nil {
			t.Fatal(err)
		}
		tok := c.AccessTokens()
		f, _, err := tok.LockAccessToken(ctx, "wxapp", time.Second)
		must(t, err)
		must(t, tok.SaveAccessToken(ctx, "wxapp", f, miniauth.AccessToken{Value: "x", ExpiresAt: now.Add(time.Hour)}))
		f, _, err = tok.LockAccessToken(ctx, "wxapp", time.Second)
		must(t, err)
		must(t, tok.UnlockAccessToken(ctx, "wxapp", f))
		if _, err := tok.ReserveForceRefresh(ctx, "wxapp", now, 30*time.Second, 20); err != nil {
			t.Fatal(err)
		}
		if _, err := tok.LoadAccessToken(ctx, "wxapp"); err != nil {
			t.Fatal(err)
		}

		h.mu.Lock()
		defer h.mu.Unlock()
		// Scripts with 1, 2 and 3 keys all ran, so the check above saw them.
		for _, n := range []string{"1", "2", "3"} {
			if h.scripts[n] == 0 {
				t.Errorf("no script with %s keys was seen; seen: %v", n, h.scripts)
			}
		}
	})
}

// pexpiretime returns the absolute expiry of key in ms: -2 when the key
// does not exist, -1 when it does not expire.
func pexpiretime(t *testing.T, c *Client, key string) int64 {
	t.Helper()
	v, err := c.rdb.Do(context.Background(), "pexpiretime", key).Int64()
	if err != nil {
		t.Fatalf("PEXPIRETIME %s: %v", key, err)
	}
	return v
}

func TestKeyExpiryMatchesTokens(t *testing.T) {
	c := openInternal(t)
	ctx := context.Background()
	k := c.keys
	now := time.Now()
	s := storetest.NewSession(miniauth.NewID(), now)
	must(t, c.Sessions().CreateSession(ctx, s))

	tests := []struct {
		key  string
		want time.Time
	}{
		{k.session(s.ID), s.RefreshExpiresAt},
		{k.access(s.AccessHash), s.AccessExpiresAt},
		{k.refresh(s.RefreshHash), s.RefreshExpiresAt},
		{k.user(s.UserID), s.RefreshExpiresAt},
	}
	for _, tt := range tests {
		if got := pexpiretime(t, c, tt.key); got != tt.want.UnixMilli() {
			t.Errorf("after create: %s expires at %d, want %d", tt.key, got, tt.want.UnixMilli())
		}
	}

	// A refresh moves every expiry to the new tokens'.
	r := miniauth.Rotation{
		AccessHash:       miniauth.HashToken(miniauth.NewID()),
		RefreshHash:      miniauth.HashToken(miniauth.NewID()),
		AccessExpiresAt:  now.Add(3 * time.Hour),
		RefreshExpiresAt: now.Add(40 * 24 * time.Hour),
		At:               now.Add(time.Hour),
	}
	if _, err := c.Sessions().RotateRefresh(ctx, s.RefreshHash, r); err != nil {
		t.Fatal(err)
	}
	tests = []struct {
		key  string
		want time.Time
	}{
		{k.session(s.ID), r.RefreshExpiresAt},
		{k.rotated(s.ID), r.RefreshExpiresAt},
		{k.access(r.AccessHash), r.AccessExpiresAt},
		{k.refresh(r.RefreshHash), r.RefreshExpiresAt},
		{k.refresh(s.RefreshHash), r.RefreshExpiresAt}, // kept to catch its reuse
		{k.user(s.UserID), r.RefreshExpiresAt},
	}
	for _, tt := range tests {
		if got := pexpiretime(t, c, tt.key); got != tt.want.UnixMilli() {
			t.Errorf("after rotate: %s expires at %d, want %d", tt.key, got, tt.want.UnixMilli())
		}
	}
	if got := pexpiretime(t, c, k.access(s.AccessHash)); got != -2 {
		t.Errorf("old access pointer still there (PEXPIRETIME %d)", got)
	}

	// A second, shorter-lived session does not shorten the user's set.
	s2 := storetest.NewSession(miniauth.NewID(), now)
	s2.UserID = s.UserID
	s2.RefreshExpiresAt = now.Add(time.Hour)
	must(t, c.Sessions().CreateSession(ctx, s2))
	if got := pexpiretime(t, c, k.user(s.UserID)); got != r.RefreshExpiresAt.UnixMilli() {
		t.Errorf("user set expiry shortened to %d", got)
	}

	// Revoking leaves no key behind.
	must(t, c.Sessions().RevokeSession(ctx, s.ID))
	for _, key := range []string{k.session(s.ID), k.rotated(s.ID), k.access(r.AccessHash), k.refresh(r.RefreshHash), k.refresh(s.RefreshHash)} {
		if got := pexpiretime(t, c, key); got != -2 {
			t.Errorf("after revoke: %s still exists", key)
		}
	}
	n, err := c.rdb.ZCard(ctx, k.user(s.UserID)).Result()
	must(t, err)
	if n != 1 {
		t.Errorf("user set has %d members after revoking one of two sessions, want 1", n)
	}

	// The WeChat token expires with itself.
	tok := c.AccessTokens()
	f, _, err := tok.LockAccessToken(ctx, "wxapp", time.Minute)
	must(t, err)
	exp := now.Add(7200 * time.Second)
	must(t, tok.SaveAccessToken(ctx, "wxapp", f, miniauth.AccessToken{Value: "v", ExpiresAt: exp, FetchedAt: now}))
	if got := pexpiretime(t, c, k.wx("wxapp", "token")); got != exp.UnixMilli() {
		t.Errorf("token expires at %d, want %d", got, exp.UnixMilli())
	}
	if got := pexpiretime(t, c, k.wx("wxapp", "lock")); got != -2 {
		t.Errorf("lock still held after save")
	}
}

// A stale pointer (left by a crash between writes) never leads to a wrong
// session.
func TestStalePointersAreIgnored(t *testing.T) {
	c := openInternal(t)
	ctx := context.Background()
	now := time.Now()
	s := storetest.NewSession(miniauth.NewID(), now)
	must(t, c.Sessions().CreateSession(ctx, s))

	stale := miniauth.HashToken("stale")
	must(t, c.rdb.Set(ctx, c.keys.access(stale), s.ID, time.Hour).Err())
	must(t, c.rdb.Set(ctx, c.keys.refresh(stale), s.ID, time.Hour).Err())
	if _, err := c.Sessions().SessionByAccessHash(ctx, stale); miniauth.ErrorCode(err) != miniauth.ENotFound {
		t.Errorf("SessionByAccessHash(stale pointer) = %v, want not_found", err)
	}
	if _, err := c.Sessions().RotateRefresh(ctx, stale, storetest.NewRotation(now)); miniauth.ErrorCode(err) != miniauth.ENotFound {
		t.Errorf("RotateRefresh(stale pointer) = %v, want not_found", err)
	}
	// The failed rotation left its new pointers nowhere.
	got, err := c.Sessions().SessionByAccessHash(ctx, s.AccessHash)
	if err != nil || got.ID != s.ID {
		t.Errorf("the session itself: %v, %v", got, err)
	}
}

// After a restart (or SCRIPT FLUSH) the server knows no script; pipelined
// script calls must load them again by themselves.
func TestScriptCacheFlushed(t *testing.T) {
	c := openInternal(t)
	ctx := context.Background()
	now := time.Now()
	s := storetest.NewSession(miniauth.NewID(), now)
	must(t, c.rdb.ScriptFlush(ctx).Err())
	must(t, c.Sessions().CreateSession(ctx, s))
	must(t, c.rdb.ScriptFlush(ctx).Err())
	if _, err := c.Sessions().RotateRefresh(ctx, s.RefreshHash, storetest.NewRotation(now)); err != nil {
		t.Fatalf("RotateRefresh after SCRIPT FLUSH: %v", err)
	}
	must(t, c.rdb.ScriptFlush(ctx).Err())
	ids, err := c.Sessions().RevokeUserSessions(ctx, s.UserID)
	if err != nil || len(ids) != 1 {
		t.Fatalf("RevokeUserSessions after SCRIPT FLUSH = %v, %v", ids, err)
	}
}

func isReused(err error) bool {
	return errors.Is(err, miniauth.ErrRefreshReused)
}

// A session rotated before the rotation times were kept has its rotated
// hashes in a plain set: their reuse is still recognised (as one long ago,
// past any leeway), and revoking deletes the set and its pointers.
func TestLegacyRotatedSet(t *testing.T) {
	c := openInternal(t)
	ctx, k, now := context.Background(), c.keys, time.Now()
	st := c.Sessions()
	s := storetest.NewSession(miniauth.NewID(), now)
	must(t, st.CreateSession(ctx, s))
	old := miniauth.HashToken(miniauth.NewID())
	must(t, c.rdb.SAdd(ctx, k.used(s.ID), old).Err())
	must(t, c.rdb.Set(ctx, k.refresh(old), s.ID, time.Hour).Err())

	_, err := st.RotateRefresh(ctx, old, storetest.NewRotation(now))
	var reuse *miniauth.RefreshReuse
	if !errors.As(err, &reuse) || !reuse.RotatedAt.IsZero() {
		t.Fatalf("reuse of a legacy rotated hash: %#v, want a RefreshReuse with no time", err)
	}
	must(t, st.RevokeSession(ctx, s.ID))
	for _, key := range []string{k.used(s.ID), k.refresh(old)} {
		if got := pexpiretime(t, c, key); got != -2 {
			t.Errorf("after revoke: %s still exists", key)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
