package miniauth

import (
	"sync"
	"time"
)

// lru is a bounded map from strings to values that each live until a
// deadline. When full, the least recently used entry makes room: a cache
// that fills keeps its hot entries instead of starting over. It is not safe
// for concurrent use; its owner locks. (A list of our own: the root package
// imports nothing from outside, and container/list would box every entry.)
type lru[V any] struct {
	max      int
	items    map[string]*lruNode[V]
	head     lruNode[V] // sentinel: head.next is the most recently used
	onRemove func(key string, v V)
}

type lruNode[V any] struct {
	key        string
	value      V
	until      time.Time
	prev, next *lruNode[V]
}

// newLRU holds at most max entries; onRemove, when set, hears of every
// entry that leaves except through clear.
func newLRU[V any](max int, onRemove func(key string, v V)) *lru[V] {
	l := &lru[V]{max: max, items: make(map[string]*lruNode[V]), onRemove: onRemove}
	l.head.prev, l.head.next = &l.head, &l.head
	return l
}

func (l *lru[V]) get(key string, now time.Time) (V, bool) {
	n, ok := l.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	if !now.Before(n.until) {
		l.removeNode(n)
		var zero V
		return zero, false
	}
	if l.head.next != n {
		l.unlink(n)
		l.pushFront(n)
	}
	return n.value, true
}

func (l *lru[V]) put(key string, v V, until time.Time) {
	if n, ok := l.items[key]; ok {
		n.value, n.until = v, until
		l.unlink(n)
		l.pushFront(n)
		return
	}
	for len(l.items) >= l.max && l.head.prev != &l.head {
		l.removeNode(l.head.prev)
	}
	n := &lruNode[V]{key: key, value: v, until: until}
	l.items[key] = n
	l.pushFront(n)
}

func (l *lru[V]) remove(key string) {
	if n, ok := l.items[key]; ok {
		l.removeNode(n)
	}
}

// sweep removes the entries past their deadline.
func (l *lru[V]) sweep(now time.Time) {
	for _, n := range l.items {
		if !now.Before(n.until) {
			l.removeNode(n)
		}
	}
}

func (l *lru[V]) clear() {
	clear(l.items)
	l.head.prev, l.head.next = &l.head, &l.head
}

func (l *lru[V]) removeNode(n *lruNode[V]) {
	delete(l.items, n.key)
	l.unlink(n)
	if l.onRemove != nil {
		l.onRemove(n.key, n.value)
	}
}

func (l *lru[V]) unlink(n *lruNode[V]) {
	n.prev.next, n.next.prev = n.next, n.prev
	n.prev, n.next = nil, nil
}

func (l *lru[V]) pushFront(n *lruNode[V]) {
	n.prev, n.next = &l.head, l.head.next
	l.head.next.prev = n
	l.head.next = n
}

// ttlCache is an lru behind a lock, whose entries live at most ttl. Its
// generation counts removals, so that a value read from a store while a
// change removed it is not put back stale (see put).
type ttlCache[V any] struct {
	ttl time.Duration

	mu      sync.Mutex
	entries *lru[V]
	gen     uint64
}

func newTTLCache[V any](ttl time.Duration, max int) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, entries: newLRU[V](max, nil)}
}

func (c *ttlCache[V]) get(key string, now time.Time) (V, bool) {
	if c.ttl <= 0 {
		var zero V
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries.get(key, now)
}

// generation is taken before reading what will be put.
func (c *ttlCache[V]) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps v until now + ttl, unless something was removed since
// generation gen was taken: v may then be what the removal was about, read
// just before the change.
func (c *ttlCache[V]) put(key string, v V, now time.Time, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.entries.put(key, v, now.Add(c.ttl))
	}
}

func (c *ttlCache[V]) remove(keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		c.entries.remove(k)
	}
}

func (c *ttlCache[V]) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries.clear()
}

func (c *ttlCache[V]) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries.sweep(now)
}
