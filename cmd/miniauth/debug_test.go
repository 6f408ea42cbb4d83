package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/internal/testkit"
)

// get answers url's status and body; the profiles' port is not in the
// OpenAPI document, and neither are its paths on the API's.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	r := call(t, "GET", url, "", nil)
	return r.status, r.body
}

func TestDebugListenerServesProfilesApartFromTheAPI(t *testing.T) {
	n := startTestNode(t, "MINIAUTH_DEBUG_ADDR=127.0.0.1:0")
	if n.debug == nil || n.debug.URL == n.URL {
		t.Fatalf("debug listener %+v beside %s", n.debug, n.URL)
	}
	if !strings.Contains(n.logs.String(), n.debug.URL) {
		t.Errorf("no log line names %s", n.debug.URL)
	}
	if status, body := get(t, n.debug.URL+"/debug/pprof/heap?debug=1"); status != 200 || !bytes.Contains(body, []byte("heap profile")) {
		t.Errorf("heap: %d %.80q", status, body)
	}
	if status, body := get(t, n.debug.URL+"/debug/pprof/goroutine?debug=1"); status != 200 || !bytes.Contains(body, []byte("goroutine profile")) {
		t.Errorf("goroutines: %d %.80q", status, body)
	}
	// A CPU profile is gzipped protobuf.
	if status, body := get(t, n.debug.URL+"/debug/pprof/profile?seconds=1"); status != 200 || !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		t.Errorf("cpu profile: %d %.20q", status, body)
	}
	res, err := httpClient.Get(n.URL + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("the API's port answers the profiles: %d", res.StatusCode)
	}
	if status, _ := get(t, n.debug.URL+"/api/v1/auth/verify"); status != http.StatusNotFound {
		t.Errorf("the debug port answers the API: %d", status)
	}
	url := n.debug.URL
	n.stop(t)
	if res, err := httpClient.Get(url + "/debug/pprof/"); err == nil {
		res.Body.Close()
		t.Errorf("debug listener still answers after shutdown: %d", res.StatusCode)
	}
}

func TestDebugListenerIsOffUnlessConfigured(t *testing.T) {
	if n := startTestNode(t); n.debug != nil {
		t.Errorf("debug listener at %s", n.debug.URL)
	}
}

func TestDebugListenerThatCannotListenStopsStartUp(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg, _, err := config.Load("", []string{"MINIAUTH_HTTP_ADDR=127.0.0.1:0", "MINIAUTH_DATA_DIR=" + t.TempDir(),
		"MINIAUTH_DEBUG_ADDR=" + taken.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	n, err := startNode(context.Background(), cfg, &testkit.LogBuffer{}, &testkit.LogBuffer{})
	if err == nil {
		n.shutdown(context.Background())
		t.Fatal("started with its debug address taken")
	}
	if !strings.Contains(err.Error(), "debug listener on "+taken.Addr().String()) {
		t.Errorf("error %v", err)
	}
}
