package inmem_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/miniauth/miniauth/inmem"
)

// The contract itself is storetest.TestFailureCounter; these are what is
// this implementation's own: its memory bound.

func TestFailureCounterForgetsTheLeastRecentlyUsedKeys(t *testing.T) {
	ctx, now := context.Background(), time.Now()
	f := inmem.NewFailureCounter(100)
	if _, err := f.AddFailure(ctx, "busy", now, time.Hour); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if _, err := f.AddFailure(ctx, fmt.Sprintf("ip:%d", i), now, time.Hour); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 { // a key in use stays
			if _, err := f.AddFailure(ctx, "busy", now, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := f.Len(); got != 100 {
		t.Errorf("tracks %d keys, want the maximum, 100", got)
	}
	if w, _ := f.Failures(ctx, "busy", now); w.Count != 21 {
		t.Errorf("the busy key has %d failures, want 21: it was forgotten", w.Count)
	}
	if w, _ := f.Failures(ctx, "ip:0", now); w.Count != 0 {
		t.Errorf("the oldest key is still there: %+v", w)
	}
	if w, _ := f.Failures(ctx, "ip:999", now); w.Count != 1 {
		t.Errorf("the newest key: %+v", w)
	}
}

func TestFailureCounterDropsEndedWindowsWhenAsked(t *testing.T) {
	ctx, now := context.Background(), time.Now()
	f := inmem.NewFailureCounter(0)
	f.AddFailure(ctx, "k", now, time.Minute)
	if w, _ := f.Failures(ctx, "k", now.Add(time.Minute)); w.Count != 0 {
		t.Fatalf("ended window: %+v", w)
	}
	if f.Len() != 0 {
		t.Errorf("an ended window is still kept")
	}
}

// TestFailureCounterMemory measures the heap that a full counter of
// DefaultFailureKeys IPv6 keys (the longest ones) holds, to keep the figure
// in DefaultFailureKeys's comment honest.
func TestFailureCounterMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a full counter")
	}
	ctx, now := context.Background(), time.Now()
	before := heapInUse()
	f := inmem.NewFailureCounter(inmem.DefaultFailureKeys)
	for i := range inmem.DefaultFailureKeys {
		key := fmt.Sprintf("ip:2001:db8:%x:%x::/64", i>>16, i&0xffff)
		if _, err := f.AddFailure(ctx, key, now, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	used := heapInUse() - before
	runtime.KeepAlive(f)
	t.Logf("%d keys hold %.1f MB (%d bytes a key)", f.Len(), float64(used)/1e6, used/uint64(f.Len()))
	if used > 20e6 {
		t.Errorf("a full counter holds %.1f MB, far more than the documented 16 MB", float64(used)/1e6)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
