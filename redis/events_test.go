package redis

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testserver"
	goredis "github.com/redis/go-redis/v9"
)

// timeline records what a subscriber saw, in order.
type timeline struct {
	mu     sync.Mutex
	events []string // "reset", "dial", or a message
	notify chan struct{}
}

func newTimeline() *timeline { return &timeline{notify: make(chan struct{}, 1)} }

func (tl *timeline) add(e string) {
	tl.mu.Lock()
	tl.events = append(tl.events, e)
	tl.mu.Unlock()
	select {
	case tl.notify <- struct{}{}:
	default:
	}
}

func (tl *timeline) snapshot() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return slices.Clone(tl.events)
}

// waitFor polls until cond holds on the timeline or the deadline passes.
func (tl *timeline) waitFor(t *testing.T, what string, d time.Duration, cond func([]string) bool) {
	t.Helper()
	deadline := time.After(d)
	for !cond(tl.snapshot()) {
		select {
		case <-tl.notify:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; timeline: %v", what, tl.snapshot())
		}
	}
}

// dialRecorder is a go-redis hook that notes every successful dial.
type dialRecorder struct{ tl *timeline }

func (h dialRecorder) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err == nil {
			h.tl.add("dial")
		}
		return c, err
	}
}
func (h dialRecorder) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }
func (h dialRecorder) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// subscribe starts a subscriber that writes to tl and returns a channel
// closed when it has returned.
func subscribe(ctx context.Context, c *Client, tl *timeline) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Events().SubscribeSessionChanged(ctx,
			func(id string) { tl.add(id) },
			func() { tl.add("reset") })
	}()
	return done
}

// publishUntilSeen publishes msg until the subscriber has seen it, for the
// moments when it is not known whether the subscription is live yet.
func publishUntilSeen(t *testing.T, pub *Client, tl *timeline, msg string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !slices.Contains(tl.snapshot(), msg) {
		if time.Now().After(deadline) {
			t.Fatalf("%q never delivered; timeline: %v", msg, tl.snapshot())
		}
		pub.Events().PublishSessionChanged(context.Background(), msg)
		select {
		case <-tl.notify:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestEventsDeliveryAndLatency(t *testing.T) {
	ForEachDeployment(t, func(t *testing.T, redisURL string) {
		sub, pub := openURL(t, redisURL), openURL(t, redisURL)
		pub.keys = sub.keys // the same channel
		ctx, cancel := context.WithCancel(context.Background())
		tl := newTimeline()
		done := subscribe(ctx, sub, tl)

		publishUntilSeen(t, pub, tl, "warmup")
		events := tl.snapshot()
		if events[0] != "reset" {
			t.Errorf("first call was %q, want reset before the subscription is live", events[0])
		}
		if i := slices.Index(events, "warmup"); !slices.Contains(events[:i], "reset") {
			t.Errorf("no reset before the first message: %v", events)
		}

		// Several ids in one call arrive one by one. Not necessarily in
		// order: a cluster client spreads the pipelined PUBLISHes over
		// its nodes, and each id only drops cache entries, in any order.
		must(t, pub.Events().PublishSessionChanged(ctx, "a", "b", "c"))
		tl.waitFor(t, "a, b, c", 2*time.Second, func(ev []string) bool {
			return slices.Contains(ev, "a") && slices.Contains(ev, "b") && slices.Contains(ev, "c")
		})

		// Latency from the publisher's call to the subscriber's callback.
		got := make(chan time.Time, 1)
		sub2ctx, cancel2 := context.WithCancel(context.Background())
		tl2 := newTimeline()
		done2 := make(chan struct{})
		go func() {
			defer close(done2)
			sub.Events().SubscribeSessionChanged(sub2ctx, func(id string) {
				if id == "live" {
					tl2.add(id)
					return
				}
				got <- time.Now()
			}, func() {})
		}()
		publishUntilSeen(t, pub, tl2, "live")
		const n = 500
		lat := make([]time.Duration, n)
		for i := range n {
			start := time.Now()
			must(t, pub.Events().PublishSessionChanged(ctx, "x"))
			select {
			case at := <-got:
				lat[i] = at.Sub(start)
			case <-time.After(time.Second):
				t.Fatalf("event %d not delivered within 1s", i)
			}
		}
		slices.Sort(lat)
		p50, p99, worst := lat[n/2], lat[n*99/100], lat[n-1]
		t.Logf("publish -> delivery over %d events: p50 %v, p99 %v, max %v", n, p50, p99, worst)
		if p99 > 100*time.Millisecond {
			t.Errorf("p99 latency %v, want far below 1s", p99)
		}

		cancel()
		cancel2()
		for _, d := range []<-chan struct{}{done, done2} {
			select {
			case <-d:
			case <-time.After(2 * time.Second):
				t.Fatal("SubscribeSessionChanged did not return when its context ended")
			}
		}
	})
}

// When Redis goes away the subscriber resets, keeps trying, and once Redis
// is back it resubscribes and resets after the new subscription is live
// (messages published while it was away are lost with it).
func TestEventsReconnect(t *testing.T) {
	srv := testserver.NewRedis(t)
	c, err := Open(context.Background(), srv.URL, Options{KeyPrefix: testPrefix(t)})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	// A client of its own publishes, so that only the subscriber's dials
	// show on the timeline.
	pub, err := Open(context.Background(), srv.URL, Options{KeyPrefix: c.keys.prefix})
	must(t, err)
	t.Cleanup(func() { pub.Close() })
	tl := newTimeline()
	c.rdb.AddHook(dialRecorder{tl})
	c.events.backoffMax = 200 * time.Millisecond // keep the test short

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := subscribe(ctx, c, tl)
	publishUntilSeen(t, pub, tl, "before")

	srv.Stop()
	before := len(tl.snapshot())
	tl.waitFor(t, "a reset after the connection was lost", 5*time.Second, func(ev []string) bool {
		return slices.Contains(ev[before:], "reset")
	})

	must(t, srv.Start())
	publishUntilSeen(t, pub, tl, "after")

	// Between the dial of the connection that carried "after" and the
	// message itself there must be a reset: that one was called once the
	// new subscription was live.
	ev := tl.snapshot()
	after := slices.Index(ev, "after")
	lastDial := -1
	for i, e := range ev[:after] {
		if e == "dial" {
			lastDial = i
		}
	}
	if lastDial < 0 || !slices.Contains(ev[lastDial:after], "reset") {
		t.Errorf("no reset between the reconnection and the next message: %v", ev)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("SubscribeSessionChanged did not return when its context ended")
	}
}

// While Redis is down from the start, the subscriber keeps resetting and
// returns promptly when its context ends.
func TestEventsRedisDownFromStart(t *testing.T) {
	srv := testserver.NewRedis(t)
	c, err := Open(context.Background(), srv.URL, Options{KeyPrefix: testPrefix(t)})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	srv.Stop()

	ctx, cancel := context.WithCancel(context.Background())
	tl := newTimeline()
	done := subscribe(ctx, c, tl)
	tl.waitFor(t, "repeated resets", 5*time.Second, func(ev []string) bool { return len(ev) >= 3 })
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("SubscribeSessionChanged did not return when its context ended")
	}
	for _, e := range tl.snapshot() {
		if e != "reset" {
			t.Errorf("unexpected event %q while Redis was down", e)
		}
	}
}
