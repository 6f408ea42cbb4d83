package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/wxsim"
)

// Redis is killed with SIGKILL under a load of logins, refreshes, logouts,
// admin revocations and disables, and restarted. Without append-only
// persistence it comes back with a snapshot taken mid-load: sessions are
// lost, but nothing that ended works again. With appendonly yes and
// appendfsync everysec (what the README requires) nothing acknowledged is
// lost either.
//
// The first runs with sealed access tokens (dev mode's), whose verify reads
// no Redis: the endings in the database alone must keep every ended
// session ended. A token replaced by a refresh is not among the ended then:
// it lives until it expires, as a JWT would. The second runs with opaque
// tokens alone, verified through Redis.
func TestRedisKillWithoutAOF(t *testing.T) {
	c := runRedisKill(t, testserver.RedisConfig{}, true)
	if c.resurrected != 0 {
		t.Errorf("%d ended sessions or rotated-away tokens work again", c.resurrected)
	}
	if c.lost == 0 {
		t.Errorf("no session lost: the restart did not bring back the old snapshot, so the test proved nothing")
	}
}

func TestRedisKillWithAOF(t *testing.T) {
	c := runRedisKill(t, testserver.RedisConfig{AppendFsync: "everysec"}, false)
	if c.resurrected != 0 || c.lost != 0 {
		t.Errorf("with appendonly: %d lost, %d resurrected; want none", c.lost, c.resurrected)
	}
}

// lossCounts are the outcome of one run.
type lossCounts struct {
	acknowledged int // sessions whose login (and every later answer) was acknowledged and never ended
	lost         int // of those, sessions whose current tokens no longer work
	ended        int // tokens that must never work again: ended sessions', rotated-away ones
	resurrected  int // of those, tokens that worked after the restart
}

func runRedisKill(t *testing.T, rc testserver.RedisConfig, sealed bool) lossCounts {
	if testing.Short() {
		t.Skip("a load test with a Redis crash")
	}
	rds := testserver.NewRedisWith(t, rc)
	n := startTestNode(t, "MINIAUTH_DB_URL="+testserver.Postgres(t), "MINIAUTH_REDIS_URL="+rds.URL,
		"MINIAUTH_REDIS_REQUIRE_AOF=false", "MINIAUTH_ADMIN_TOKEN="+adminToken, "MINIAUTH_LOG_LEVEL=warn",
		"MINIAUTH_TOKENS_SEAL="+strconv.FormatBool(sealed))
	l := &lossLoad{base: n.URL, sealed: sealed, live: map[int]lossTokens{}, stats: map[string]int{}}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() { l.work(ctx, w) })
	}
	time.Sleep(1500 * time.Millisecond)
	// What a snapshot-only Redis comes back with; later writes are lost.
	snap := goredis.NewClient(&goredis.Options{Addr: rds.URL[len("redis://") : len(rds.URL)-len("/0")]})
	if err := snap.Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	snap.Close()
	time.Sleep(1500 * time.Millisecond)
	rds.Kill()
	// The workers wait out the outage: each of its failed answers (503, a
	// broken connection) would leave a session's state unknown and out of
	// the counts, and a worker spinning through them would leave too few
	// sessions to show what the restart lost.
	l.paused.Store(true)
	time.Sleep(300 * time.Millisecond)
	if err := rds.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a login after the restart", func() bool {
		code := mintCode(t, n.URL+"/_wxsim", "")
		return call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}).status == 200
	})
	l.paused.Store(false)
	time.Sleep(time.Second)
	stop()
	wg.Wait()

	c := l.check()
	t.Logf("%s: %d acknowledged sessions, %d lost; %d ended tokens, %d resurrected (load: %v)",
		t.Name(), c.acknowledged, c.lost, c.ended, c.resurrected, l.stats)
	return c
}

type lossTokens struct{ access, refresh string }

// lossLoad drives the node. Each worker owns its users and sessions, so
// that what it knows of them is exact; an answer that is neither success
// nor a clean refusal (503 during the outage, a broken connection) leaves
// the session's state unknown, and it is left out of the counts.
type lossLoad struct {
	base   string
	sealed bool        // a refresh leaves the replaced access token valid
	paused atomic.Bool // while set, the workers wait

	mu             sync.Mutex
	next           int
	live           map[int]lossTokens // acknowledged sessions
	lostSeen       int                // live sessions refused during the load
	ended          []string           // access tokens of ended sessions and rotated-away access tokens
	endedRefresh   []string           // refresh tokens of ended sessions
	rotatedRefresh []string           // rotated-away refresh tokens: presenting one is reuse, so checked last
	stats          map[string]int
}

var lossClient = &http.Client{Timeout: 5 * time.Second}

// do sends a request and returns the status (0 when no answer) and body.
func (l *lossLoad) do(method, path, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, l.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := lossClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (l *lossLoad) count(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats[what]++
}

// login starts a session of openid and returns its number, the tokens and
// the user id (ok false without an acknowledged login).
func (l *lossLoad) login(openid string) (int, lossTokens, string, bool) {
	status, raw := l.do("POST", "/_wxsim/_sim/login-code", "", map[string]string{"appid": wxsim.DevAppID, "openid": openid})
	var code struct{ Code string }
	if status != 200 || json.Unmarshal(raw, &code) != nil {
		return 0, lossTokens{}, "", false
	}
	status, raw = l.do("POST", "/api/v1/auth/login", "", map[string]string{"code": code.Code})
	var a loginAnswer
	if status != 200 || json.Unmarshal(raw, &a) != nil {
		return 0, lossTokens{}, "", false
	}
	tok := lossTokens{a.AccessToken, a.RefreshToken}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	l.live[l.next] = tok
	return l.next, tok, a.User.ID, true
}

// work runs one worker's share of the load over usersPerWorker users of
// its own, so that ending one user's sessions leaves others live.
func (l *lossLoad) work(ctx context.Context, w int) {
	const usersPerWorker = 4
	type user struct {
		gen      int
		id       string
		sessions map[int]lossTokens
	}
	users := make([]*user, usersPerWorker)
	for i := range users {
		users[i] = &user{sessions: map[int]lossTokens{}}
	}
	for n := 0; ctx.Err() == nil; n++ {
		if l.paused.Load() {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		ui := rand.IntN(usersPerWorker)
		u := users[ui]
		openid := fmt.Sprintf("loss-%d-%d-%d", w, ui, u.gen)
		var id int
		var tok lossTokens
		for id, tok = range u.sessions {
			break
		}
		switch r := rand.IntN(100); {
		case r < 40 || len(u.sessions) == 0:
			if id, tok, uid, ok := l.login(openid); ok {
				u.sessions[id], u.id = tok, uid
				l.count("login")
			}
		case r < 65:
			delete(u.sessions, id)
			if next, ok := l.refresh(id, tok); ok {
				u.sessions[id] = next
			}
		case r < 80:
			if !l.verify(id, tok) {
				delete(u.sessions, id)
			}
		case r < 92:
			delete(u.sessions, id)
			l.endOne(id, tok, "logout", "POST", "/api/v1/auth/logout", tok.access, 204)
		case r < 95:
			l.adminRevokeOne(fmt.Sprintf("loss-%d-single-%d", w, n))
		case r < 98:
			l.endAll(u.sessions, "revoke_all", "DELETE", "/admin/v1/users/"+u.id+"/sessions")
			u.sessions = map[int]lossTokens{}
		default:
			l.endAll(u.sessions, "disable", "POST", "/admin/v1/users/"+u.id+"/disable")
			u.sessions = map[int]lossTokens{}
			u.gen++ // a disabled user logs in no more
		}
	}
}

// forget takes a session out of the counts: its state is unknown.
func (l *lossLoad) forget(id int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.live, id)
}

func (l *lossLoad) refresh(id int, tok lossTokens) (lossTokens, bool) {
	status, raw := l.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.refresh})
	var a loginAnswer
	switch {
	case status == 200 && json.Unmarshal(raw, &a) == nil:
		next := lossTokens{a.AccessToken, a.RefreshToken}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.live[id] = next
		if !l.sealed {
			l.ended = append(l.ended, tok.access)
		}
		l.rotatedRefresh = append(l.rotatedRefresh, tok.refresh)
		l.stats["refresh"]++
		return next, true
	case status == 401:
		l.lose(id)
	default:
		l.forget(id)
	}
	return lossTokens{}, false
}

func (l *lossLoad) verify(id int, tok lossTokens) bool {
	switch status, _ := l.do("GET", "/api/v1/auth/verify", tok.access, nil); status {
	case 200:
		return true
	case 401:
		l.lose(id)
	default:
		l.forget(id)
	}
	return false
}

// lose notes a live session refused: lost with Redis's data.
func (l *lossLoad) lose(id int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.live[id]; ok {
		delete(l.live, id)
		l.lostSeen++
	}
}

// endOne ends a session with a request that answers want on success.
func (l *lossLoad) endOne(id int, tok lossTokens, what, method, path, token string, want int) {
	status, _ := l.do(method, path, token, nil)
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.live[id]; !ok {
		return
	}
	delete(l.live, id)
	if status == want {
		l.ended = append(l.ended, tok.access)
		l.endedRefresh = append(l.endedRefresh, tok.refresh)
		l.stats[what]++
	} else if status == 401 {
		l.lostSeen++
	}
}

// adminRevokeOne logs a fresh user in once and has the admin revoke that
// one session by its id.
func (l *lossLoad) adminRevokeOne(openid string) {
	id, tok, uid, ok := l.login(openid)
	if !ok {
		return
	}
	status, raw := l.do("GET", "/admin/v1/users/"+uid+"/sessions", adminToken, nil)
	var list struct {
		Sessions []struct{ ID string } `json:"sessions"`
	}
	if status != 200 || json.Unmarshal(raw, &list) != nil || len(list.Sessions) != 1 {
		l.forget(id)
		return
	}
	l.endOne(id, tok, "admin_revoke", "DELETE", "/admin/v1/sessions/"+list.Sessions[0].ID, adminToken, 204)
}

// endAll ends every session of the worker's user with one admin request.
func (l *lossLoad) endAll(mine map[int]lossTokens, what, method, path string) {
	status, _ := l.do(method, path, adminToken, nil)
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, tok := range mine {
		if _, ok := l.live[id]; !ok {
			continue
		}
		delete(l.live, id)
		if status/100 == 2 {
			l.ended = append(l.ended, tok.access)
			l.endedRefresh = append(l.endedRefresh, tok.refresh)
		}
	}
	if status/100 == 2 {
		l.stats[what]++
	}
}

// check counts, once the load stopped: live sessions that no longer work,
// and ended tokens that work again. Rotated-away refresh tokens go last:
// presenting one ends its session.
func (l *lossLoad) check() lossCounts {
	c := lossCounts{acknowledged: len(l.live) + l.lostSeen, lost: l.lostSeen}
	for _, tok := range l.live {
		if status, _ := l.do("GET", "/api/v1/auth/verify", tok.access, nil); status != 200 {
			c.lost++
		}
	}
	for _, access := range l.ended {
		c.ended++
		if status, _ := l.do("GET", "/api/v1/auth/verify", access, nil); status == 200 {
			c.resurrected++
		}
	}
	for _, refresh := range append(l.endedRefresh, l.rotatedRefresh...) {
		c.ended++
		if status, _ := l.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}); status == 200 {
			c.resurrected++
		}
	}
	return c
}
