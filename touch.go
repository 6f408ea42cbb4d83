package miniauth

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTouchQueue is the default of Options.TouchQueue.
const DefaultTouchQueue = 100_000

const (
	// touchFlushInterval is how long a session's new LastUsedAt may wait
	// for others before it is written: every queued session goes to the
	// store in one TouchSessions call, which the store may split. (A
	// second's worth together lets SQLite write each page of its last-use
	// file once for many sessions.)
	touchFlushInterval = time.Second
	// touchWriteTimeout bounds one batch's write.
	touchWriteTimeout = 10 * time.Second
)

// touches collects the sessions whose LastUsedAt verify found stale, for
// one background writer. A verify never waits for a store write, and a burst
// of first uses (every session after a restart, a million sessions drawn at
// random) costs one write per batch instead of one per request. LastUsedAt
// is what the devices page shows, so a second's delay, or a touch dropped
// when the queue is full, loses nothing that matters.
type touches struct {
	store   SessionStore
	log     *slog.Logger
	limit   int
	now     func() time.Time
	wake    chan struct{}
	dropped atomic.Uint64
	failed  atomic.Uint64

	mu      sync.Mutex
	pending map[string]struct{}
}

func newTouches(store SessionStore, limit int, now func() time.Time, log *slog.Logger) *touches {
	return &touches{store: store, log: log, limit: limit, now: now, wake: make(chan struct{}, 1), pending: map[string]struct{}{}}
}

// add queues a touch of the session, or drops and counts it when the queue
// is full. A session already queued is queued once.
func (t *touches) add(id string) {
	t.mu.Lock()
	_, queued := t.pending[id]
	full := !queued && len(t.pending) >= t.limit
	if !queued && !full {
		t.pending[id] = struct{}{}
	}
	n := len(t.pending)
	t.mu.Unlock()
	if full {
		t.dropped.Add(1)
		return
	}
	if n >= t.limit/2 { // write early rather than drop
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// run writes the queued touches every touchFlushInterval, or as soon as
// the queue is half full, until ctx ends; then it writes what is queued.
func (t *touches) run(ctx context.Context) {
	tick := time.NewTicker(touchFlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			t.flush()
			return
		case <-tick.C:
		case <-t.wake:
		}
		t.flush()
	}
}

// flush writes every queued touch, in one call, at the current time.
func (t *touches) flush() {
	t.mu.Lock()
	if len(t.pending) == 0 {
		t.mu.Unlock()
		return
	}
	ids := make([]string, 0, len(t.pending))
	for id := range t.pending {
		ids = append(ids, id)
	}
	clear(t.pending)
	t.mu.Unlock()
	t.write(t.now(), ids)
}

func (t *touches) write(at time.Time, ids []string) {
	ctx, cancel := context.WithTimeout(context.Background(), touchWriteTimeout)
	defer cancel()
	if err := t.store.TouchSessions(ctx, at, ids); err != nil {
		t.failed.Add(uint64(len(ids)))
		t.log.Warn("writing sessions' last use", "sessions", len(ids), "err", err)
	}
}

// TouchesDropped is how many LastUsedAt updates were not written: dropped
// because the queue was full, or in a batch the store refused.
func (s *Service) TouchesDropped() uint64 {
	return s.touches.dropped.Load() + s.touches.failed.Load()
}
