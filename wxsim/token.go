package wxsim

import (
	"encoding/json"
	"net/http"
	"sync"
)

// tokenState holds the access tokens of every app. Tokens are few (a handful
// per app at a time), so one RWMutex is enough; validation takes the read
// lock only, and random values are made before the write lock is taken.
type tokenState struct {
	mu        sync.RWMutex
	byValue   map[string]tokenEntry
	apps      map[string]*appTokens
	lastSweep int64
}

type tokenEntry struct {
	appID  string
	exp    int64 // natural expiry: 42001 from then on
	revoke int64 // 0, or when a newer cgi-bin/token supersedes it: 40001 from then on
}

// appTokens is one app's token bookkeeping.
type appTokens struct {
	appID     string
	plain     string  // the newest cgi-bin/token token
	stable    string  // the current stable_token token
	stableExp int64   // its expiry
	forced    []int64 // times of the successful forced refreshes of the last 24 hours
}

func (t *tokenState) init() {
	t.byValue = make(map[string]tokenEntry)
	t.apps = make(map[string]*appTokens)
}

// appLocked returns the app's bookkeeping; t.mu must be held for writing.
func (t *tokenState) appLocked(appID string) *appTokens {
	a := t.apps[appID]
	if a == nil {
		a = &appTokens{appID: appID}
		t.apps[appID] = a
	}
	return a
}

// sweepLocked forgets tokens that can no longer answer anything but 40001:
// superseded ones past their grace time and expired ones after an hour.
// It runs at most once a minute (by the simulator's clock), under the write
// lock of an issuing call; the map holds few entries.
func (t *tokenState) sweepLocked(now int64) {
	if now-t.lastSweep < int64(tokenSweepInterval) {
		return
	}
	t.lastSweep = now
	for v, e := range t.byValue {
		if (e.revoke != 0 && now >= e.revoke) || now >= e.exp+int64(expiredTokenMemory) {
			delete(t.byValue, v)
		}
	}
}

// checkToken answers the app of a valid access token, or the WeChat errcode
// for a missing (41001), unknown or superseded (40001) or expired (42001) one.
func (s *Simulator) checkToken(token string) (appID string, errcode int) {
	if token == "" {
		return "", 41001
	}
	now := s.nowNano()
	s.tokens.mu.RLock()
	e, ok := s.tokens.byValue[token]
	s.tokens.mu.RUnlock()
	switch {
	case !ok, e.revoke != 0 && now >= e.revoke:
		return "", 40001
	case now >= e.exp:
		return "", 42001
	}
	return e.appID, 0
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// token is GET cgi-bin/token: every call issues a new token; the previous
// one keeps working TokenOverlap more.
func (s *Simulator) token(r *http.Request) response {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		return s.wechatErr(40002)
	}
	appID := q.Get("appid")
	if code := s.checkApp(appID, q.Get("secret")); code != 0 {
		return s.wechatErr(code)
	}
	tok := newAccessToken()
	now := s.nowNano()

	t := &s.tokens
	t.mu.Lock()
	t.sweepLocked(now)
	a := t.appLocked(appID)
	if old, ok := t.byValue[a.plain]; ok {
		deadline := now + int64(TokenOverlap)
		if old.revoke == 0 || deadline < old.revoke {
			old.revoke = deadline
			t.byValue[a.plain] = old
		}
	}
	a.plain = tok
	t.byValue[tok] = tokenEntry{appID: appID, exp: now + int64(TokenLifetime)}
	t.mu.Unlock()

	s.tokensIssued.Add(1)
	return wechatJSON(tokenResponse{AccessToken: tok, ExpiresIn: int64(TokenLifetime.Seconds())})
}

type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// stableToken is POST cgi-bin/stable_token: the same token while it has at
// least StableRenewBelow left, then a new one (the old works until it
// expires); force_refresh issues a new one and kills the old at once, within
// WeChat's limits.
func (s *Simulator) stableToken(r *http.Request) response {
	body, tooLarge, err := readBody(r)
	if err != nil || tooLarge {
		return s.wechatErr(47001)
	}
	var req stableTokenRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return s.wechatErr(47001)
	}
	if req.GrantType != "client_credential" {
		return s.wechatErr(40002)
	}
	if code := s.checkApp(req.AppID, req.Secret); code != 0 {
		return s.wechatErr(code)
	}
	fresh := newAccessToken() // made before the lock; wasted when the current one is kept
	now := s.nowNano()

	t := &s.tokens
	t.mu.Lock()
	t.sweepLocked(now)
	a := t.appLocked(req.AppID)
	tok, exp, issued, errcode := a.stableLocked(t, req.ForceRefresh, fresh, now)
	t.mu.Unlock()

	if errcode != 0 {
		return s.wechatErr(errcode)
	}
	if issued {
		s.tokensIssued.Add(1)
	}
	if req.ForceRefresh {
		s.forcedRefreshes.Add(1)
	}
	return wechatJSON(tokenResponse{AccessToken: tok, ExpiresIn: (exp - now) / int64(1e9)})
}

// stableLocked decides the stable token to answer; t.mu is held for writing.
func (a *appTokens) stableLocked(t *tokenState, force bool, fresh string, now int64) (tok string, exp int64, issued bool, errcode int) {
	if force {
		// Only forced refreshes of the last 24 hours count.
		dayAgo := now - int64(24*60*60*1e9)
		kept := a.forced[:0]
		for _, at := range a.forced {
			if at > dayAgo {
				kept = append(kept, at)
			}
		}
		a.forced = kept
		switch {
		case len(a.forced) >= ForceRefreshPerDay:
			return "", 0, false, 45009
		case len(a.forced) > 0 && now-a.forced[len(a.forced)-1] < int64(ForceRefreshGap):
			return "", 0, false, 45011
		}
		a.forced = append(a.forced, now)
		delete(t.byValue, a.stable) // invalid at once: 40001
	} else if a.stable != "" && a.stableExp-now >= int64(StableRenewBelow) {
		if _, alive := t.byValue[a.stable]; alive {
			return a.stable, a.stableExp, false, 0
		}
	}
	// No token, a forced refresh, or one in its last minutes: issue a new
	// one. An old one in its last minutes keeps working until it expires.
	a.stable, a.stableExp = fresh, now+int64(TokenLifetime)
	t.byValue[fresh] = tokenEntry{appID: a.appID, exp: a.stableExp}
	return fresh, a.stableExp, true, 0
}

// InvalidateAccessTokens makes every access token of the app issued so far
// answer 40001, as WeChat's do when the token was reset elsewhere: every
// caller holding one must get a new one, whenever it calls.
func (s *Simulator) InvalidateAccessTokens(appID string) {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	for v, e := range s.tokens.byValue {
		if e.appID == appID {
			delete(s.tokens.byValue, v)
		}
	}
}
