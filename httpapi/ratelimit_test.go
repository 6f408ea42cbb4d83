package httpapi

import (
	"fmt"
	"testing"
	"time"
)

func TestIPLimiterAtItsEdge(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newIPLimiter(2, 3, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if !l.allow("1.1.1.1") {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	if l.allow("1.1.1.1") {
		t.Error("request past the burst allowed")
	}
	if !l.allow("2.2.2.2") {
		t.Error("another IP has its own bucket")
	}
	now = now.Add(499 * time.Millisecond) // 0.998 tokens
	if l.allow("1.1.1.1") {
		t.Error("allowed before a whole token came back")
	}
	now = now.Add(2 * time.Millisecond)
	if !l.allow("1.1.1.1") {
		t.Error("refused after a token came back at 2/s")
	}
}

func TestIPLimiterMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newIPLimiter(1, 1, func() time.Time { return now })
	for i := 0; i < maxTrackedIPs+10; i++ {
		l.allow(fmt.Sprint(i))
	}
	if len(l.buckets) > maxTrackedIPs {
		t.Errorf("tracking %d IPs", len(l.buckets))
	}
}
