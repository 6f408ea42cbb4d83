package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// The load command against a running dev-mode node, briefly: every scenario
// runs without errors and the report has the figures the README promises.
func TestBenchCommandReports(t *testing.T) {
	n := startTestNode(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "--url", n.URL, "-c", "4", "-duration", "300ms", "-warmup", "50ms", "-sessions", "5"}, nil, &out, &errOut)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	report := out.String()
	for _, re := range []string{
		`GET /healthz\s+\d+\s`,
		`GET /api/v1/auth/verify\s+\d+\s`,
		`full login .*\s+\d+\s`,
		`verify / healthz throughput: \d\.\d\d`,
		`full logins per second: \d+`,
	} {
		if !regexp.MustCompile(re).MatchString(report) {
			t.Errorf("report lacks %s:\n%s", re, report)
		}
	}
	if strings.Contains(report, "first error") {
		t.Errorf("errors during the run:\n%s", report)
	}
	var bad bytes.Buffer
	if err := run(context.Background(), []string{"bench", "--scenarios", "nope"}, nil, &out, &bad); err == nil {
		t.Error("an unknown scenario must be refused")
	}
}
