package inmem

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/miniauth/miniauth"
)

// DefaultFailureKeys is how many keys a FailureCounter tracks unless told
// otherwise: about 16 MB when full (about 155 bytes a key, measured by
// TestFailureCounterMemory).
const DefaultFailureKeys = 100_000

// FailureCounter is a miniauth.FailureCounter in memory. Past its maximum
// number of keys it forgets the least recently used one. Forgetting is the
// attacker's gain only when it holds more addresses than the maximum, and
// then a per-address limit does not hold it back anyway; keys being checked
// or failing are the recently used ones and stay.
type FailureCounter struct {
	mu   sync.Mutex
	keys *simplelru.LRU[string, failures]
}

var _ miniauth.FailureCounter = (*FailureCounter)(nil)

// failures is a key's window, compact: it is kept for many keys.
type failures struct {
	count int32
	ends  int64 // Unix nanoseconds
}

// NewFailureCounter returns a counter that tracks at most maxKeys keys
// (DefaultFailureKeys when maxKeys <= 0).
func NewFailureCounter(maxKeys int) *FailureCounter {
	if maxKeys <= 0 {
		maxKeys = DefaultFailureKeys
	}
	keys, err := simplelru.NewLRU[string, failures](maxKeys, nil)
	if err != nil {
		panic(err) // only for a size <= 0, excluded above
	}
	return &FailureCounter{keys: keys}
}

// Failures implements miniauth.FailureCounter.
func (f *FailureCounter) Failures(_ context.Context, key string, now time.Time) (miniauth.FailureWindow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w, ok := f.keys.Get(key)
	if !ok {
		return miniauth.FailureWindow{}, nil
	}
	if w.ends <= now.UnixNano() {
		f.keys.Remove(key)
		return miniauth.FailureWindow{}, nil
	}
	return w.window(), nil
}

// AddFailure implements miniauth.FailureCounter.
func (f *FailureCounter) AddFailure(_ context.Context, key string, now time.Time, window time.Duration) (miniauth.FailureWindow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w, ok := f.keys.Get(key)
	if !ok || w.ends <= now.UnixNano() {
		w = failures{ends: now.Add(window).UnixNano()}
	}
	if w.count < math.MaxInt32 {
		w.count++
	}
	f.keys.Add(key, w)
	return w.window(), nil
}

// Len is how many keys are tracked.
func (f *FailureCounter) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys.Len()
}

func (w failures) window() miniauth.FailureWindow {
	return miniauth.FailureWindow{Count: int(w.count), Ends: time.Unix(0, w.ends).UTC()}
}
