package batch

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Items queued while a batch is handled make the next batch, never more
// than the maximum; every item is handled once.
func TestBatchesGatherWhatArrivedMeanwhile(t *testing.T) {
	const max, n = 4, 50
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	seen := map[int]int{}
	g := Start(max, 0, func(b []int) {
		if len(sizes) == 0 {
			<-release // hold the first batch while the rest queue
		}
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(b))
		for _, v := range b {
			seen[v]++
		}
	}, nil)
	defer g.Close()
	ctx := context.Background()
	if err := g.Add(ctx, 0); err != nil {
		t.Fatal(err)
	}
	for g.Queued() > 0 { // the first batch is being handled
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Go(func() {
			if err := g.Add(ctx, i); err != nil {
				t.Error(err)
			}
		})
	}
	for g.Queued() < max { // the queue holds max; the others wait to enter
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		done := len(seen) == n
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled %d of %d items", len(seen), n)
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if sizes[1] != max {
		t.Errorf("the batch after the held one has %d items, want %d", sizes[1], max)
	}
	for i, s := range sizes {
		if s > max {
			t.Errorf("batch %d has %d items", i, s)
		}
	}
	for v, k := range seen {
		if k != 1 {
			t.Errorf("item %d handled %d times", v, k)
		}
	}
}

// On Close every queued item is either handled or given to leftover, once;
// Add then fails with ErrClosed, and with the context's error when that
// ended first.
func TestCloseHandsQueuedItemsToLeftover(t *testing.T) {
	release := make(chan struct{})
	var handled, left []int
	g := Start(8, 0, func(b []int) {
		<-release
		handled = append(handled, b...)
	}, func(v int) { left = append(left, v) })
	ctx := context.Background()
	for i := range 3 {
		if err := g.Add(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		<-g.Closing()
		close(release)
	}()
	g.Close()
	all := map[int]int{}
	for _, v := range append(handled, left...) {
		all[v]++
	}
	if len(all) != 3 || all[0] != 1 || all[1] != 1 || all[2] != 1 {
		t.Fatalf("handled %v, leftover %v: want 0, 1 and 2 once each", handled, left)
	}
	if err := g.Add(ctx, 9); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close: %v", err)
	}
	g.Close() // twice is fine

	hold := make(chan struct{})
	g2 := Start(1, 0, func([]int) { <-hold }, nil)
	defer g2.Close()
	defer close(hold)
	g2.Add(ctx, 1)
	for g2.Queued() > 0 { // 1 is being handled
		time.Sleep(time.Millisecond)
	}
	g2.Add(ctx, 2) // fills the queue
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := g2.Add(short, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Add to a full queue: %v", err)
	}
}

// With a linger, a lone item is handled at once; a batch of more than one
// waits for more, and is handled as soon as it is full or the Gatherer
// closes, never after the whole linger.
func TestLingerWaitsOnlyWithCompany(t *testing.T) {
	g, sizes := lingering(t, 3)
	defer g.Close()
	g.Add(context.Background(), 3) // fills the batch
	if got := receive(t, sizes); got != 3 {
		t.Fatalf("second batch %d items, want 3", got)
	}
	g.Add(context.Background(), 4)
	if got := receive(t, sizes); got != 1 {
		t.Fatalf("a lone item after: batch of %d", got)
	}

	closing, sizes := lingering(t, 5)
	closing.Close() // cuts the linger short: the batch is handled
	if got := receive(t, sizes); got != 2 {
		t.Fatalf("the lingering batch: %d items, want 2", got)
	}
}

// lingering starts a Gatherer of batches of at most max that linger an
// hour (any wait for it fails the test), handles a lone item (0) at once
// and leaves items 1 and 2 lingering as a batch; the sizes of the batches
// handled after the first arrive on the channel.
func lingering(t *testing.T, max int) (*Gatherer[int], <-chan int) {
	t.Helper()
	sizes := make(chan int, 10)
	release := make(chan struct{})
	first := true
	g := Start(max, time.Hour, func(b []int) {
		if first {
			first = false
			<-release
		}
		sizes <- len(b)
	}, nil)
	ctx := context.Background()
	g.Add(ctx, 0) // alone: handled at once, then held
	for g.Queued() > 0 {
		time.Sleep(time.Millisecond)
	}
	g.Add(ctx, 1)
	g.Add(ctx, 2)
	close(release)
	if got := receive(t, sizes); got != 1 {
		t.Fatalf("first batch %d items, want the lone one", got)
	}
	for g.Queued() > 0 { // 1 and 2 are gathered and linger
		time.Sleep(time.Millisecond)
	}
	return g, sizes
}

func receive(t *testing.T, c <-chan int) int {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("no batch was handled")
		return 0
	}
}
