package wxsim

import (
	"hash/maphash"
	"sync"
)

// numShards splits each store so that concurrent logins rarely wait on the
// same mutex. Sixteen is plenty for the 2-core load machine and costs little.
const numShards = 16

// store is a sharded map of entries that expire, used for login codes, phone
// codes and session keys. Memory stays bounded without a sweeper goroutine:
// every put first drops the oldest entries that have expired, found in a FIFO
// in insertion order. Lifetimes are fixed per store, so insertion order is
// expiry order. The FIFO is also capped: past maxPerShard entries the oldest
// goes even if it has not expired, so a flood of never-used codes cannot
// exhaust memory.
type store[V any] struct {
	seed        maphash.Seed
	maxPerShard int
	shards      [numShards]shard[V]
}

type shard[V any] struct {
	mu   sync.Mutex
	m    map[string]entry[V]
	fifo []fifoItem
	head int
	seq  uint64
}

type entry[V any] struct {
	val  V
	exp  int64 // unix nanoseconds; the entry is gone from this instant on
	used bool
	seq  uint64 // ties the entry to its FIFO item, so a replaced entry is not evicted by the old item
}

type fifoItem struct {
	key string
	exp int64
	seq uint64
}

func newStore[V any](maxEntries int) *store[V] {
	s := &store[V]{seed: maphash.MakeSeed(), maxPerShard: max(maxEntries/numShards, 1)}
	for i := range s.shards {
		s.shards[i].m = make(map[string]entry[V])
	}
	return s
}

// shard returns the shard of key. Callers lock sh.mu around their use of sh.m
// and the *Locked methods.
func (s *store[V]) shard(key string) *shard[V] {
	return &s.shards[maphash.String(s.seed, key)%numShards]
}

// put stores v under key until exp, replacing any previous entry.
func (s *store[V]) put(key string, v V, now, exp int64) {
	sh := s.shard(key)
	sh.mu.Lock()
	sh.putLocked(key, v, now, exp, s.maxPerShard)
	sh.mu.Unlock()
}

// get returns the live entry of key.
func (s *store[V]) get(key string, now int64) (entry[V], bool) {
	sh := s.shard(key)
	sh.mu.Lock()
	e, ok := sh.m[key]
	sh.mu.Unlock()
	if !ok || now >= e.exp {
		return entry[V]{}, false
	}
	return e, true
}

// len counts the entries held, expired or not (for tests of pruning).
func (s *store[V]) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

func (sh *shard[V]) putLocked(key string, v V, now, exp int64, maxEntries int) {
	sh.pruneLocked(now, maxEntries-1)
	sh.seq++
	sh.m[key] = entry[V]{val: v, exp: exp, seq: sh.seq}
	sh.fifo = append(sh.fifo, fifoItem{key: key, exp: exp, seq: sh.seq})
}

// pruneLocked drops expired entries from the front of the FIFO, and then the
// oldest ones while more than keep remain.
func (sh *shard[V]) pruneLocked(now int64, keep int) {
	for sh.head < len(sh.fifo) {
		it := sh.fifo[sh.head]
		if it.exp > now && len(sh.fifo)-sh.head <= keep {
			break
		}
		if e, ok := sh.m[it.key]; ok && e.seq == it.seq {
			delete(sh.m, it.key)
		}
		sh.fifo[sh.head] = fifoItem{} // let the key string be collected
		sh.head++
	}
	// Compact once the consumed front is at least half of the slice, so that
	// appends do not grow the backing array forever.
	if sh.head > 0 && sh.head >= len(sh.fifo)/2 {
		n := copy(sh.fifo, sh.fifo[sh.head:])
		clear(sh.fifo[n:])
		sh.fifo = sh.fifo[:n]
		sh.head = 0
	}
}
