package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/miniauth/miniauth/internal/testserver"
)

// Scan to log in across nodes: every step on another node, with Redis
// carrying the changes, and without Redis, where waiting polls read the
// database.

func TestWebLoginOnThreeNodesWithRedis(t *testing.T) {
	testWebLoginCluster(t, testserver.Postgres(t), testserver.NewRedis(t).URL)
}

func TestWebLoginOnThreeNodesWithoutRedis(t *testing.T) {
	testWebLoginCluster(t, testserver.Postgres(t), "")
}

type webPoll struct {
	Status string `json:"status"`
	loginAnswer
	took time.Duration // from the change the test made to the answer
}

// poll asks a node for the ticket's status, waiting up to wait.
func poll(t *testing.T, n *testNode, ticket, wait string) webPoll {
	t.Helper()
	r := call(t, "GET", n.URL+"/api/v1/web-login/"+ticket+"?wait="+wait, "", nil)
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("poll: %d %s (Cache-Control %q)", r.status, r.body, r.header.Get("Cache-Control"))
	}
	var p webPoll
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Errorf("poll: %q", r.body)
	}
	return p
}

// pollers starts a waiting poll on each of nodes, and returns a function
// that waits for their answers, timing each from the moment mark is called.
func pollers(t *testing.T, nodes []*testNode, ticket string) (mark func(), answers func() []webPoll) {
	var changed time.Time
	var mu sync.Mutex
	out := make([]webPoll, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := poll(t, n, ticket, "20s")
			mu.Lock()
			p.took = time.Since(changed)
			mu.Unlock()
			out[i] = p
		}()
	}
	// Every poll is waiting once each node counts its waiter.
	eventually(t, 5*time.Second, "pollers waiting", func() bool {
		waiting := 0
		for _, n := range uniqueNodes(nodes) {
			waiting += n.service.WebLoginWaiters()
		}
		return waiting == len(nodes)
	})
	mark = func() { mu.Lock(); changed = time.Now(); mu.Unlock() }
	return mark, func() []webPoll { wg.Wait(); return out }
}

func uniqueNodes(nodes []*testNode) []*testNode {
	seen := map[*testNode]bool{}
	var out []*testNode
	for _, n := range nodes {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func startTicket(t *testing.T, n *testNode) string {
	t.Helper()
	r := call(t, "POST", n.URL+"/api/v1/web-login", "", nil)
	if r.status != 200 {
		t.Fatalf("web-login: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["expires_in"] != 300.0 {
		t.Errorf("expires_in %v", m["expires_in"])
	}
	return m["ticket"].(string)
}

func step(t *testing.T, n *testNode, ticket, what, token string) int {
	t.Helper()
	return call(t, "POST", n.URL+"/api/v1/web-login/"+ticket+"/"+what, token, nil).status
}

func within1s(t *testing.T, what string, answers []webPoll) {
	t.Helper()
	for i, p := range answers {
		if p.took >= time.Second {
			t.Errorf("%s: poller %d woke after %v; want within 1 s", what, i, p.took)
		}
	}
	t.Logf("%s: pollers woke after %v", what, func() []time.Duration {
		var d []time.Duration
		for _, p := range answers {
			d = append(d, p.took.Round(time.Millisecond))
		}
		return d
	}())
}

func testWebLoginCluster(t *testing.T, dbURL, redisURL string) {
	c := startCluster(t, 3, "MINIAUTH_DB_URL="+dbURL, "MINIAUTH_REDIS_URL="+redisURL)
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]
	phone := c.login(t, 1, "")

	t.Run("made on 1, scanned on 2, confirmed on 3, delivered once", func(t *testing.T) {
		ticket := startTicket(t, n1)
		checkCode(t, n3, ticket)

		mark, answers := pollers(t, []*testNode{n1, n1}, ticket)
		mark()
		if s := step(t, n2, ticket, "scan", phone.AccessToken); s != 204 {
			t.Fatalf("scan: %d", s)
		}
		for _, p := range answers() {
			if p.Status != "scanned" || p.AccessToken != "" {
				t.Fatalf("after the scan: %+v", p)
			}
		}
		// Several pollers, on node 1 and the others too: one gets tokens.
		mark, answers = pollers(t, []*testNode{n1, n1, n1, n2, n3}, ticket)
		mark()
		if s := step(t, n3, ticket, "confirm", phone.AccessToken); s != 204 {
			t.Fatalf("confirm: %d", s)
		}
		got := answers()
		within1s(t, "confirm", got)
		var delivered []webPoll
		for _, p := range got {
			if p.Status != "confirmed" {
				t.Errorf("status %q after the confirm", p.Status)
			}
			if p.AccessToken != "" {
				delivered = append(delivered, p)
			}
		}
		if len(delivered) != 1 {
			t.Fatalf("%d of %d pollers got tokens, want exactly 1", len(delivered), len(got))
		}
		web := delivered[0]
		if web.User.ID != phone.User.ID || web.RefreshToken == "" || web.TokenType != "Bearer" {
			t.Fatalf("tokens of %+v, want user %s", web, phone.User.ID)
		}
		c.verifiesEverywhere(t, web.AccessToken)
		if web.AccessToken == phone.AccessToken {
			t.Error("the web page got the phone's session instead of a new one")
		}
		if p := poll(t, n2, ticket, ""); p.Status != "confirmed" || p.AccessToken != "" {
			t.Errorf("a later poll: %+v", p)
		}
		// Replay: the ticket is spent, whatever the step or node.
		for i, what := range []string{"confirm", "scan", "deny"} {
			if s := step(t, c.nodes[i], ticket, what, phone.AccessToken); s != 409 {
				t.Errorf("%s again on node %d: %d, want 409", what, i+1, s)
			}
		}
	})

	t.Run("denied on 1, heard on 3", func(t *testing.T) {
		ticket := startTicket(t, n2)
		mark, answers := pollers(t, []*testNode{n3}, ticket)
		mark()
		if s := step(t, n1, ticket, "deny", phone.AccessToken); s != 204 {
			t.Fatalf("deny: %d", s)
		}
		got := answers()
		within1s(t, "deny", got)
		if got[0].Status != "denied" || got[0].AccessToken != "" {
			t.Fatalf("after the deny: %+v", got[0])
		}
		if s := step(t, n2, ticket, "confirm", phone.AccessToken); s != 409 {
			t.Errorf("confirm after deny: %d, want 409", s)
		}
	})

	t.Run("unknown ticket", func(t *testing.T) {
		unknown := "AAAAAAAAAAAAAAAAAAAAAA"
		for i, n := range c.nodes {
			if r := call(t, "GET", n.URL+"/api/v1/web-login/"+unknown+"?wait=1s", "", nil); r.status != 404 || r.errorCode(t) != "not_found" {
				t.Errorf("node %d: poll %d %s", i+1, r.status, r.body)
			}
			if s := step(t, n, unknown, "confirm", phone.AccessToken); s != 404 {
				t.Errorf("node %d: confirm %d", i+1, s)
			}
		}
	})

	t.Run("expiry", func(t *testing.T) {
		// A fourth node with a short ticket life; the others answer for
		// its tickets by what the ticket says.
		env := []string{"MINIAUTH_DB_URL=" + dbURL, "MINIAUTH_REDIS_URL=" + redisURL, "MINIAUTH_WEB_LOGIN_TTL=1s",
			"MINIAUTH_WECHAT_APPID=" + clusterApp, "MINIAUTH_WECHAT_SECRET=" + clusterSecret,
			"MINIAUTH_WECHAT_BASE_URL=" + n1.cfg.WeChat.BaseURL}
		short := startTestNode(t, env...)
		ticket := call(t, "POST", short.URL+"/api/v1/web-login", "", nil).json(t)["ticket"].(string)
		if s := step(t, n2, ticket, "scan", phone.AccessToken); s != 204 {
			t.Fatalf("scan before the expiry: %d", s)
		}
		if p := poll(t, n1, ticket, "20s"); p.Status != "expired" {
			t.Fatalf("status %q, want expired", p.Status)
		}
		if s := step(t, n3, ticket, "confirm", phone.AccessToken); s != 404 {
			t.Errorf("confirm after the expiry: %d, want 404", s)
		}
		if r := call(t, "GET", n2.URL+"/api/v1/web-login/"+ticket+"/qrcode.png", "", nil); r.status != 404 {
			t.Errorf("code image after the expiry: %d, want 404", r.status)
		}
	})
}

// checkCode reads the ticket back out of its code image.
func checkCode(t *testing.T, n *testNode, ticket string) {
	t.Helper()
	r := call(t, "GET", n.URL+"/api/v1/web-login/"+ticket+"/qrcode.png", "", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("code image: %d %s", r.status, r.body)
	}
	img, err := png.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil || res.GetText() != ticket {
		t.Fatalf("the code says %v (%v), want the ticket %s", res, err, ticket)
	}
}
