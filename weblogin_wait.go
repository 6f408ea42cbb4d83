package miniauth

import (
	"sync"
)

// waitHub wakes the polls waiting on tickets of this node. A change made
// here, or announced by another node through WebLoginEvents, wakes every
// waiter of that ticket; each then reads its ticket again. Waiters are
// bounded: past max, a new one is refused rather than queued.
type waitHub struct {
	max int

	mu      sync.Mutex
	count   int
	waiters map[string]map[*waiter]struct{} // by ticket hash
	closed  bool
	closing chan struct{} // closed by close: every wait ends at once
}

// waiter is one waiting poll. Its channel holds one wake-up, so that a
// change between its registration and its first read is not lost.
type waiter struct {
	hash string
	wake chan struct{}
}

func newWaitHub(max int) *waitHub {
	return &waitHub{max: max, waiters: map[string]map[*waiter]struct{}{}, closing: make(chan struct{})}
}

// watch registers a waiter for hash, or reports false when max are waiting
// already or the hub is closed.
func (h *waitHub) watch(hash string) (*waiter, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.count >= h.max || h.closed {
		return nil, false
	}
	w := &waiter{hash: hash, wake: make(chan struct{}, 1)}
	set := h.waiters[hash]
	if set == nil {
		set = map[*waiter]struct{}{}
		h.waiters[hash] = set
	}
	set[w] = struct{}{}
	h.count++
	return w, true
}

// forget unregisters w.
func (h *waitHub) forget(w *waiter) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.waiters[w.hash]
	if _, ok := set[w]; !ok {
		return
	}
	delete(set, w)
	if len(set) == 0 {
		delete(h.waiters, w.hash)
	}
	h.count--
}

// notify wakes the waiters of hash.
func (h *waitHub) notify(hash string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.waiters[hash] {
		w.poke()
	}
}

// reset wakes every waiter: events may have been missed.
func (h *waitHub) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.waiters {
		for w := range set {
			w.poke()
		}
	}
}

// close ends every wait and refuses new ones: the server is shutting down,
// and a poll that waits 25 s would hold the shutdown that long.
func (h *waitHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.closing)
	}
}

// waiting is how many polls wait now.
func (h *waitHub) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

func (w *waiter) poke() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}
