// Package batch gathers work that arrives while earlier work is being
// handled, so that many callers share one costly step: a commit (SQLite's
// group commit) or a round trip (Redis lookups).
package batch

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is what Add answers once the Gatherer is closing.
var ErrClosed = errors.New("batch: closed")

// Gatherer hands the items queued with Add to one handler, a batch at a
// time, from a goroutine of its own. A batch is what was queued, up to its
// maximum, when the previous batch was done: while one is handled the next
// gathers. A lone item never waits for others; a batch of more than one
// (there are concurrent callers) may linger for more (see Start).
type Gatherer[T any] struct {
	max      int
	linger   time.Duration
	handle   func([]T)
	leftover func(T)
	queue    chan T
	quit     chan struct{}
	stop     sync.Once
	done     sync.WaitGroup
}

// Start starts a Gatherer of batches of at most max items. A batch that
// already holds more than one item waits up to linger (0: not at all) for
// more before it is handled, so that a handler whose cost is mostly per
// batch (a commit) runs fewer times under load. handle owns each batch
// until it returns; leftover, when not nil, gets every item still queued
// once the Gatherer closes.
func Start[T any](max int, linger time.Duration, handle func(batch []T), leftover func(T)) *Gatherer[T] {
	g := &Gatherer[T]{max: max, linger: linger, handle: handle, leftover: leftover,
		queue: make(chan T, max), quit: make(chan struct{})}
	g.done.Add(1)
	go g.run()
	return g
}

// Add queues item for a coming batch. It fails with ctx's error if ctx ends
// first, and with ErrClosed once the Gatherer is closing.
func (g *Gatherer[T]) Add(ctx context.Context, item T) error {
	select {
	case <-g.quit:
		return ErrClosed
	default:
	}
	select {
	case g.queue <- item:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-g.quit:
		return ErrClosed
	}
}

// Closing is closed when Close is called.
func (g *Gatherer[T]) Closing() <-chan struct{} { return g.quit }

// Wait waits until the Gatherer has closed: the batch being handled at
// Close is done, and the queued items went to leftover.
func (g *Gatherer[T]) Wait() { g.done.Wait() }

// Close stops taking items and waits as Wait does. It may be called more
// than once.
func (g *Gatherer[T]) Close() {
	g.stop.Do(func() { close(g.quit) })
	g.done.Wait()
}

// Queued is how many items wait for a batch.
func (g *Gatherer[T]) Queued() int { return len(g.queue) }

func (g *Gatherer[T]) run() {
	defer g.done.Done()
	batch := make([]T, 0, g.max)
	for {
		select {
		case item := <-g.queue:
			batch = append(batch[:0], item)
		case <-g.quit:
			g.drain()
			return
		}
	gather:
		for len(batch) < g.max {
			select {
			case item := <-g.queue:
				batch = append(batch, item)
			default:
				break gather
			}
		}
		if g.linger > 0 && len(batch) > 1 {
			batch = g.wait(batch)
		}
		g.handle(batch)
		clear(batch) // let the handled items go
	}
}

// wait adds to batch what arrives within the linger, up to max. Closing
// cuts the wait short: the batch is handled, the rest drained.
func (g *Gatherer[T]) wait(batch []T) []T {
	t := time.NewTimer(g.linger)
	defer t.Stop()
	for len(batch) < g.max {
		select {
		case item := <-g.queue:
			batch = append(batch, item)
		case <-t.C:
			return batch
		case <-g.quit:
			return batch
		}
	}
	return batch
}

// drain hands whatever is still queued to leftover.
func (g *Gatherer[T]) drain() {
	for {
		select {
		case item := <-g.queue:
			if g.leftover != nil {
				g.leftover(item)
			}
		default:
			return
		}
	}
}
