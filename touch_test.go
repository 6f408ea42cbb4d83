package miniauth

import (
	"context"
	"testing"
	"time"
)

// A verify of a session last used over TouchInterval ago queues a touch;
// the background writer stores it, and a full queue drops and counts.
func TestTouchesAreWrittenInTheBackground(t *testing.T) {
	f := newFixture(t)
	f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{Apps: []string{"wxapp"}, Now: f.clock.Now,
		TouchInterval: time.Minute, TouchQueue: 2, CacheTTL: -1})
	ctx := context.Background()
	tokens := []string{f.login(t, "o1").AccessToken, f.login(t, "o2").AccessToken, f.login(t, "o3").AccessToken}
	f.clock.Add(2 * time.Minute)
	for _, tok := range tokens {
		s, err := f.svc.Verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if !s.LastUsedAt.Equal(f.clock.Now()) {
			t.Errorf("verify answered LastUsedAt %v, want now", s.LastUsedAt)
		}
	}
	if got := f.svc.TouchesDropped(); got != 1 {
		t.Errorf("dropped %d touches with a queue of 2 and 3 sessions, want 1", got)
	}
	stored := func() (n int) {
		for _, tok := range tokens {
			s, err := f.sessions.SessionByAccessHash(ctx, HashToken(tok))
			if err != nil {
				t.Fatal(err)
			}
			if s.LastUsedAt.Equal(f.clock.Now()) {
				n++
			}
		}
		return n
	}
	if n := stored(); n != 0 {
		t.Fatalf("%d touches written on the request path", n)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { f.svc.Run(runCtx); close(done) }()
	stop() // Run writes what is queued before it returns
	<-done
	if n := stored(); n != 2 {
		t.Errorf("%d sessions touched in the store, want the 2 queued", n)
	}
}
