package httpapi

import (
	"net/http"
	"testing"
)

// Every GET route has its HEAD twin, so that routes added later cannot
// forget it: register GET routes with getAndHead.
func TestEveryGETRouteAnswersHEAD(t *testing.T) {
	s, err := New(Options{AdminToken: "admin-token-for-tests-0123456789abcdef", Simulator: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	heads := map[string]bool{}
	for _, r := range s.engine.Routes() {
		if r.Method == http.MethodHead {
			heads[r.Path] = true
		}
	}
	gets := 0
	for _, r := range s.engine.Routes() {
		if r.Method == http.MethodGet {
			gets++
			if !heads[r.Path] {
				t.Errorf("GET %s has no HEAD", r.Path)
			}
		}
	}
	if gets < 7 {
		t.Errorf("only %d GET routes found", gets)
	}
}
