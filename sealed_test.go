package miniauth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func testKEK(b byte) []byte { return []byte(strings.Repeat(string(rune('a'+b)), 32)) }

func testSealer(t testing.TB, b byte) *TokenSealer {
	t.Helper()
	s, err := NewTokenSealer(testKEK(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A sealed token opens to its claims with its key only, and any change to
// it, or its claims moved onto another token, fails.
func TestSealedTokenOpensWithItsKeyOnly(t *testing.T) {
	sealer, other := testSealer(t, 0), testSealer(t, 1)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	claims := AccessClaims{SessionID: NewID(), UserID: NewID(), AppID: "wx1234567890abcdef", OpenID: "o-Not_Hex-28-characters-long",
		IssuedAt: at, ExpiresAt: at.Add(2 * time.Hour)}
	opaque := newToken(accessTokenPrefix)
	token := sealer.seal(opaque, claims)
	if !strings.HasPrefix(token, opaque+".") || len(token) > 220 {
		t.Fatalf("sealed token %q (%d characters)", token, len(token))
	}
	got, ok := sealer.open(token)
	if !ok || got != claims {
		t.Fatalf("open: %+v, %v; want %+v", got, ok, claims)
	}
	if _, ok := other.open(token); ok {
		t.Error("another key opened the token")
	}
	for i := len(opaque) + 1; i < len(token); i++ {
		b := []byte(token)
		b[i] ^= 1
		if _, ok := sealer.open(string(b)); ok {
			t.Fatalf("the token altered at %d opened", i)
		}
	}
	moved := newToken(accessTokenPrefix) + token[len(opaque):]
	if _, ok := sealer.open(moved); ok {
		t.Error("claims moved onto another opaque token opened")
	}
	for _, bad := range []string{opaque, opaque + ".", token + "x", "mrt_" + token[4:]} {
		if _, ok := sealer.open(bad); ok {
			t.Errorf("open(%q) succeeded", bad)
		}
	}
	long := claims
	long.OpenID = strings.Repeat("o", maxSealedField+1)
	if got := sealer.seal(opaque, long); got != opaque {
		t.Errorf("a claim too long to seal: %q, want the opaque token alone", got)
	}
}

// sealedFixture is a node that seals, over the fixture's stores and a feed.
func sealedFixture(t testing.TB) (*fixture, *fakeEndings) {
	t.Helper()
	f := newFixture(t)
	endings := &fakeEndings{}
	f.svc = f.sealedNode(endings, testSealer(t, 0))
	return f, endings
}

func (f *fixture) sealedNode(endings *fakeEndings, sealer *TokenSealer) *Service {
	return NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, Apps: []string{"wxapp"},
		Now: f.clock.Now, Sealer: sealer, Endings: endings})
}

func verifyErr(svc *Service, token string) error {
	_, err := svc.Verify(context.Background(), token)
	return err
}

// With a fresh copy of the feed, a sealed token is verified without the
// session store; its session comes from the claims.
func TestSealedVerifyNeedsNoStore(t *testing.T) {
	f, _ := sealedFixture(t)
	ctx := context.Background()
	res := f.login(t, "o1")
	if !strings.Contains(res.AccessToken, ".") {
		t.Fatalf("access token %q is not sealed", res.AccessToken)
	}
	f.svc.endings.read(ctx)
	session, err := f.svc.Verify(ctx, res.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if f.sessions.lookups != 0 {
		t.Errorf("store lookups = %d, want 0", f.sessions.lookups)
	}
	hits, _, _ := f.svc.VerifyCacheStats()
	if again, err := f.svc.Verify(ctx, res.AccessToken); err != nil || again.ID != session.ID {
		t.Fatalf("again: %v, %v", again, err)
	}
	if h, _, _ := f.svc.VerifyCacheStats(); h != hits+1 {
		t.Errorf("a repeated verify did not come from the cache (%d hits, were %d)", h, hits)
	}
	if session.UserID != res.User.ID || session.OpenID != "o1" || session.AppID != "wxapp" || !session.AccessExpiresAt.Equal(res.AccessExpiresAt) {
		t.Errorf("session from the claims: %+v", session)
	}
	f.clock.Add(DefaultAccessTTL)
	f.svc.endings.read(ctx)
	if err := verifyErr(f.svc, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("expired sealed token: %v", err)
	}
	if f.sessions.lookups != 0 {
		t.Errorf("an expired token asked the store (%d lookups)", f.sessions.lookups)
	}
}

// A logout on one node ends the token on another once that one reads the
// feed, and on its own node at once.
func TestSealedTokenEndsOnEveryNodeThroughTheFeed(t *testing.T) {
	f, endings := sealedFixture(t)
	ctx := context.Background()
	other := f.sealedNode(endings, testSealer(t, 0))
	res := f.login(t, "o1")
	f.svc.endings.read(ctx)
	other.endings.read(ctx)
	session, err := f.svc.Verify(ctx, res.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Logout(ctx, LogoutRequest{Session: session}); err != nil {
		t.Fatal(err)
	}
	if err := verifyErr(f.svc, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("on the node that logged out: %v", err)
	}
	if err := verifyErr(other, res.AccessToken); err != nil {
		t.Fatalf("the other node before its read: %v (the test needs the feed to be what ends it)", err)
	}
	other.endings.read(ctx)
	if err := verifyErr(other, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("the other node after its read: %v", err)
	}
	// A node that starts later learns it from the feed too.
	late := f.sealedNode(endings, testSealer(t, 0))
	late.endings.read(ctx)
	if err := verifyErr(late, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("a node started after the logout: %v", err)
	}
}

// Disabling a user ends every session in the feed, before the store.
func TestDisablingAUserEndsItsSealedTokens(t *testing.T) {
	f, endings := sealedFixture(t)
	ctx := context.Background()
	a, b := f.login(t, "o1"), f.login(t, "o1")
	other := f.sealedNode(endings, testSealer(t, 0))
	other.endings.read(ctx)
	for _, tok := range []string{a.AccessToken, b.AccessToken} { // now in its cache
		if err := verifyErr(other, tok); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.SetUserDisabled(ctx, a.User.ID, true); err != nil {
		t.Fatal(err)
	}
	other.endings.read(ctx)
	for _, tok := range []string{a.AccessToken, b.AccessToken} {
		if err := verifyErr(other, tok); ErrorCode(err) != EUnauthorized {
			t.Errorf("a disabled user's token: %v", err)
		}
	}
	// The ending names the user, not the sessions the store listed: a
	// session the store lost (Redis) ends too.
	if n := len(endings.rows); n != 1 || endings.rows[0].UserID != a.User.ID || endings.rows[0].SessionID != "" {
		t.Errorf("endings recorded: %+v, want one of the user", endings.rows)
	}
	// Tokens issued later live.
	if _, err := f.svc.SetUserDisabled(ctx, a.User.ID, false); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Millisecond)
	c := f.login(t, "o1")
	other.endings.read(ctx)
	if err := verifyErr(other, c.AccessToken); err != nil {
		t.Errorf("a token issued after the disable, once enabled again: %v", err)
	}
}

// A node whose copy of the feed is stale, or that holds another key, asks
// the store: the opaque part is the session's token there.
func TestSealedVerifyAsksTheStoreWhenItCannotTrustTheToken(t *testing.T) {
	f, endings := sealedFixture(t)
	ctx := context.Background()
	res := f.login(t, "o1")
	if err := verifyErr(f.svc, res.AccessToken); err != nil || f.sessions.lookups != 1 {
		t.Fatalf("before any read of the feed: %v, %d lookups; want the store's answer", err, f.sessions.lookups)
	}
	f.svc.endings.read(ctx)
	f.clock.Add(3 * DefaultEndingsInterval)
	endings.setFail(errors.New("database down"))
	f.svc.endings.read(ctx) // fails: the copy goes stale
	f.svc.cache.reset()
	if err := verifyErr(f.svc, res.AccessToken); err != nil || f.sessions.lookups != 2 {
		t.Errorf("with a stale feed: %v, %d lookups; want the store's answer", err, f.sessions.lookups)
	}
	endings.setFail(nil)
	f.svc.endings.read(ctx)
	if err := verifyErr(f.svc, res.AccessToken); err != nil || f.sessions.lookups != 2 {
		t.Errorf("with the feed read again: %v, %d lookups; want no store lookup", err, f.sessions.lookups)
	}
	foreign := f.sealedNode(endings, testSealer(t, 1))
	foreign.endings.read(ctx)
	if err := verifyErr(foreign, res.AccessToken); err != nil || f.sessions.lookups != 3 {
		t.Errorf("a node with another key: %v, %d lookups; want the store's answer", err, f.sessions.lookups)
	}
	// So does a node that does not seal (sealing off, or no key).
	plain := NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, Apps: []string{"wxapp"}, Now: f.clock.Now})
	if err := verifyErr(plain, res.AccessToken); err != nil || f.sessions.lookups != 4 {
		t.Errorf("a node that does not seal: %v, %d lookups; want the store's answer", err, f.sessions.lookups)
	}
	// The store still ends what the token's claims cannot.
	f.sessions.RevokeSession(ctx, f.onlySessionID(t))
	foreign.cache.reset()
	if err := verifyErr(foreign, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("a node with another key, the session gone: %v", err)
	}
}

func (f *fixture) onlySessionID(t *testing.T) string {
	t.Helper()
	f.sessions.mu.Lock()
	defer f.sessions.mu.Unlock()
	if len(f.sessions.sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(f.sessions.sessions))
	}
	for id := range f.sessions.sessions {
		return id
	}
	return ""
}

// A logout whose ending cannot be recorded fails: other nodes would go on
// trusting the token.
func TestLogoutFailsWhenItsEndingCannotBeRecorded(t *testing.T) {
	f, endings := sealedFixture(t)
	ctx := context.Background()
	res := f.login(t, "o1")
	f.svc.endings.read(ctx)
	session, err := f.svc.Verify(ctx, res.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	endings.setFail(Errorf(EUpstreamUnavailable, "database down"))
	if err := f.svc.Logout(ctx, LogoutRequest{Session: session}); ErrorCode(err) != EUpstreamUnavailable {
		t.Errorf("logout: %v, want upstream_unavailable", err)
	}
	if err := verifyErr(f.svc, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("this node after the failed logout: %v, want it ended here at least", err)
	}
}

// A sealed token's session is touched once per TouchInterval by a node.
func TestSealedVerifyTouchesOncePerInterval(t *testing.T) {
	f, _ := sealedFixture(t)
	ctx := context.Background()
	res := f.login(t, "o1")
	f.svc.endings.read(ctx)
	queued := func() int {
		f.svc.touches.mu.Lock()
		defer f.svc.touches.mu.Unlock()
		n := len(f.svc.touches.pending)
		clear(f.svc.touches.pending)
		return n
	}
	f.clock.Add(DefaultTouchInterval - time.Millisecond)
	f.svc.endings.read(ctx)
	if verifyErr(f.svc, res.AccessToken); queued() != 0 {
		t.Error("a verify within TouchInterval of the login queued a touch: the login wrote the last use")
	}
	f.clock.Add(DefaultCacheTTL) // past the login's own use, and the cache's entry
	f.svc.endings.read(ctx)
	for range 3 {
		if err := verifyErr(f.svc, res.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if n := queued(); n != 1 {
		t.Errorf("touches queued by three verifies: %d, want 1", n)
	}
	f.clock.Add(DefaultTouchInterval)
	f.svc.endings.read(ctx)
	verifyErr(f.svc, res.AccessToken)
	if n := queued(); n != 1 {
		t.Errorf("touches queued a TouchInterval later: %d, want 1", n)
	}
}

// The feed is read in pages until the end, and forgets endings whose
// tokens have all expired.
func TestEndingsFeedReadsEveryPageAndForgets(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	store := &fakeEndings{}
	ids := make([]string, 2*endingsPage+5)
	for i := range ids {
		ids[i] = NewID()
	}
	var endings []SessionEnding
	for _, id := range ids {
		endings = append(endings, SessionEnding{SessionID: id, At: c.Now(), Until: c.Now().Add(time.Hour)})
	}
	store.RecordSessionEndings(context.Background(), endings)
	feed := newEndingsFeed(store, DefaultEndingsInterval, c.Now, nil)
	if feed.fresh(c.Now()) {
		t.Error("fresh before any read")
	}
	feed.read(context.Background())
	ended := func(id string) bool { return feed.isEnded(id, "u", c.Now()) }
	if !feed.fresh(c.Now()) || !ended(ids[0]) || !ended(ids[len(ids)-1]) || store.reads != 3 {
		t.Fatalf("after a read: fresh %v, first %v, last %v, %d reads", feed.fresh(c.Now()), ended(ids[0]), ended(ids[len(ids)-1]), store.reads)
	}
	c.Add(3*DefaultEndingsInterval - time.Nanosecond)
	if !feed.fresh(c.Now()) {
		t.Error("stale before three intervals")
	}
	c.Add(time.Nanosecond)
	if feed.fresh(c.Now()) {
		t.Error("fresh three intervals after the read")
	}
	c.Add(time.Hour)
	feed.read(context.Background())
	if ended(ids[0]) {
		t.Error("an ending whose tokens expired is still kept")
	}
}
