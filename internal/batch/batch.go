// Package batch gathers work that arrives while earlier work is being
// handled, so that many callers share one costly step: a commit (SQLite's
// group commit) or a round trip (Redis lookups).
package batch

import (
	"context"
	"errors"
	"sync"
)

// ErrClosed is what Add answers once the Gatherer is closing.
var ErrClosed = errors.New("batch: closed")

// Gatherer hands the items queued with Add to one handler, a batch at a
// time, from a goroutine of its own. A batch is what was queued, up to its
// maximum, when the previous batch was done: nobody waits for a batch to
// fill, and while one is handled the next gathers.
type Gatherer[T any] struct {
	max      int
	handle   func([]T)
	leftover func(T)
	queue    chan T
	quit     chan struct{}
	stop     sync.Once
	done     sync.WaitGroup
}

// Start starts a Gatherer of batches of at most max items. handle owns each
// batch until it returns; leftover, when not nil, gets every item still
// queued once the Gatherer closes.
func Start[T any](max int, handle func(batch []T), leftover func(T)) *Gatherer[T] {
	g := &Gatherer[T]{max: max, handle: handle, leftover: leftover,
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
		g.handle(batch)
		clear(batch) // let the handled items go
	}
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
