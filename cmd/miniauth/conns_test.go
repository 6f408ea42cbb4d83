package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// At the connection cap, filled by one client's idle keep-alive
// connections, a new client still gets its answer from /healthz: the
// longest idle connection is closed to make room.
func TestHealthzAnswersAtTheConnectionCap(t *testing.T) {
	const maxConns = 8
	n := startTestNode(t, "MINIAUTH_HTTP_MAX_CONNS=8")
	addr := strings.TrimPrefix(n.URL, "http://")

	var idle []net.Conn
	for i := range maxConns * 2 { // twice the cap: each new one pushes out the oldest
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		resp.Body.Close()
		idle = append(idle, c)
	}

	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := fresh.Get(n.URL + "/healthz")
	if err != nil {
		t.Fatalf("a new client at the cap: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a new client at the cap: %d", resp.StatusCode)
	}

	closed := 0
	for _, c := range idle {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
			closed++
		}
	}
	if open := len(idle) - closed; open >= maxConns {
		t.Errorf("%d idle connections still open; the cap is %d", open, maxConns)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
