package redis

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/storetest"
)

// A write that does not reach the asked number of replicas in time fails as
// unavailable (a 503), and one that does succeeds: at the edge, on the
// shared Sentinel group, which has one replica.
func TestWaitReplicas(t *testing.T) {
	ctx := context.Background()
	url := testserver.RedisSentinelURL(t)
	for _, tt := range []struct {
		replicas int
		ok       bool
	}{{1, true}, {2, false}} {
		c, err := Open(ctx, url, Options{KeyPrefix: testPrefix(t), WaitReplicas: tt.replicas, WaitTimeout: 50 * time.Millisecond})
		must(t, err)
		s := storetest.NewSession(miniauth.NewID(), time.Now())
		err = c.Sessions().CreateSession(ctx, s)
		if tt.ok && err != nil {
			t.Errorf("waiting for %d of 1 replicas: %v", tt.replicas, err)
		}
		if !tt.ok && miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
			t.Errorf("waiting for %d of 1 replicas = %v, want upstream_unavailable", tt.replicas, err)
		}
		c.Close()
	}
	if _, err := Open(ctx, testserver.RedisClusterURL(t), Options{WaitReplicas: 1}); miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
		t.Errorf("waiting for replicas on a cluster = %v, want invalid_request", err)
	}
}

// Sessions are created under load, the replicas stall for 200 ms, the
// master is killed with SIGKILL and the Sentinels promote a replica. With WaitReplicas 1 (two replicas), every
// session acknowledged before or after the failover is still there; without
// it, the test only counts what was lost. The subscriber follows the master
// and resets the cache.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("a failover takes a few seconds")
	}
	for _, wait := range []int{1, 0} {
		t.Run(map[int]string{1: "wait for one replica", 0: "no wait"}[wait], func(t *testing.T) {
			lost, before, after := failoverUnderLoad(t, wait)
			t.Logf("wait_replicas=%d: %d sessions acknowledged before the failover, %d after, %d lost", wait, before, after, lost)
			if wait > 0 && lost > 0 {
				t.Errorf("%d acknowledged sessions lost in the failover", lost)
			}
		})
	}
}

func failoverUnderLoad(t *testing.T, wait int) (lost, before, after int) {
	ctx := context.Background()
	g := testserver.NewRedisSentinel(t, 2)
	c, err := Open(ctx, g.URL, Options{KeyPrefix: testPrefix(t), WaitReplicas: wait})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	pub, err := Open(ctx, g.URL, Options{KeyPrefix: c.keys.prefix})
	must(t, err)
	t.Cleanup(func() { pub.Close() })

	subCtx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	tl := newTimeline()
	subscribe(subCtx, c, tl)
	publishUntilSeen(t, pub, tl, "before")

	var (
		mu       sync.Mutex
		acked    []*miniauth.Session
		failedOK atomic.Bool // set once the failover is done
		afterN   atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := storetest.NewSession(miniauth.NewID(), time.Now())
				if err := c.Sessions().CreateSession(ctx, s); err != nil {
					time.Sleep(5 * time.Millisecond) // Redis is failing over
					continue
				}
				mu.Lock()
				acked = append(acked, s)
				mu.Unlock()
				if failedOK.Load() {
					afterN.Add(1)
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // load before the crash
	// The replicas lose the master for a moment (a stalled machine, a
	// network hiccup) just before it dies: what the master acknowledged
	// meanwhile exists nowhere else.
	for _, r := range g.Data[1:] {
		r.Pause()
	}
	// Data already in a replica's socket buffer would still reach it:
	// the links break, as they would in a partition.
	must(t, pub.rdb.Do(ctx, "client", "kill", "type", "replica").Err())
	time.Sleep(200 * time.Millisecond)
	oldMaster := g.Data[0].Addr()
	resetsBefore := len(tl.snapshot())
	g.Data[0].Kill()
	for _, r := range g.Data[1:] {
		r.Resume()
	}
	mu.Lock()
	before = len(acked)
	mu.Unlock()

	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := g.Master(ctx)
		if err == nil && m != oldMaster {
			break
		}
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("no failover within 30 s (master %s, %v)", m, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	failedOK.Store(true)
	for afterN.Load() < 200 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	after = int(afterN.Load())
	if after == 0 {
		t.Fatal("no session was acknowledged after the failover")
	}

	// The subscriber lost its master, reset, and hears the new one.
	publishUntilSeen(t, pub, tl, "after")
	if ev := tl.snapshot(); !slices.Contains(ev[resetsBefore:slices.Index(ev, "after")], "reset") {
		t.Errorf("no reset between the failover and the next message: %v", ev[resetsBefore:])
	}

	for _, s := range acked {
		if _, err := c.Sessions().SessionByAccessHash(ctx, s.AccessHash); err != nil {
			if miniauth.ErrorCode(err) != miniauth.ENotFound {
				t.Fatalf("verifying after the failover: %v", err)
			}
			lost++
		}
	}
	return lost, before, after
}
