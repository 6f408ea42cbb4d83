package wxsim_test

import (
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Many goroutines mint and exchange codes over HTTP at once: every login
// succeeds with its own openid and the counters add up.
func TestConcurrentLogins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const workers, perWorker = 16, 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		openIDs = make(map[string]bool)
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				code, openID, err := e.sim.LoginCode(appA, "", "")
				if err != nil {
					t.Error(err)
					return
				}
				q := url.Values{"appid": {appA}, "secret": {secretA}, "js_code": {code}, "grant_type": {"authorization_code"}}
				resp, err := e.srv.Client().Get(e.base + "sns/jscode2session?" + q.Encode())
				if err != nil {
					t.Error(err)
					return
				}
				m := decodeBody(t, resp)
				if errcode(m) != 0 || m["openid"] != openID {
					t.Errorf("login: %v", m)
					return
				}
				mu.Lock()
				openIDs[openID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(openIDs) != workers*perWorker {
		t.Fatalf("%d distinct openids, want %d", len(openIDs), workers*perWorker)
	}
	if n := e.sim.Stats().Calls["sns/jscode2session"]; n != workers*perWorker {
		t.Fatalf("calls %d, want %d", n, workers*perWorker)
	}
}

// One code presented by many clients at once is exchanged exactly once; the
// others see 40163.
func TestConcurrentSameCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for round := 0; round < 20; round++ {
		code, _ := e.loginCode(appA, "", "")
		q := url.Values{"appid": {appA}, "secret": {secretA}, "js_code": {code}, "grant_type": {"authorization_code"}}
		var ok, used atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resp, err := e.srv.Client().Get(e.base + "sns/jscode2session?" + q.Encode())
				if err != nil {
					t.Error(err)
					return
				}
				switch m := decodeBody(t, resp); errcode(m) {
				case 0:
					ok.Add(1)
				case 40163:
					used.Add(1)
				default:
					t.Errorf("unexpected answer %v", m)
				}
			}()
		}
		close(start)
		wg.Wait()
		if ok.Load() != 1 || used.Load() != 15 {
			t.Fatalf("round %d: %d successes and %d 40163, want 1 and 15", round, ok.Load(), used.Load())
		}
	}
}

// Concurrent stable_token calls share one token.
func TestConcurrentStableToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var wg sync.WaitGroup
	tokens := make([]string, 16)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.srv.Client().Post(e.base+"cgi-bin/stable_token", "application/json",
				stringsReader(`{"grant_type":"client_credential","appid":"`+appA+`","secret":"`+secretA+`"}`))
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i], _ = decodeBody(t, resp)["access_token"].(string)
		}()
	}
	wg.Wait()
	for _, tok := range tokens {
		if tok == "" || tok != tokens[0] {
			t.Fatalf("tokens differ or are missing: %q vs %q", tok, tokens[0])
		}
	}
	if n := e.sim.Stats().TokensIssued; n != 1 {
		t.Fatalf("tokens_issued %d, want 1", n)
	}
}

func decodeBody(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	b, err := readAll(resp)
	if err != nil {
		t.Error(err)
		return nil
	}
	return decode(t, b)
}
