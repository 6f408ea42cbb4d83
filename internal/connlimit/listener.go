// Package connlimit caps the connections an http.Server keeps open, so that
// idle keep-alive connections cannot use up the process's file descriptors
// and lock out new clients. At the cap, the connection that has been idle
// longest is closed to make room; only when every connection is busy does a
// new one wait.
package connlimit

import (
	"container/list"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultNewConnGrace is how long a connection may stay silent after it is
// accepted before it counts as idle, and may be closed to make room. A real
// client sends its request at once; a silent one (or one trickling a header
// in) is the likeliest attacker.
const DefaultNewConnGrace = time.Second

// Listener is a net.Listener that keeps at most Max connections open. Its
// ConnState method must be the http.Server's ConnState hook: it is how the
// listener learns which connections are idle.
type Listener struct {
	net.Listener
	max      int
	newGrace time.Duration

	mu    sync.Mutex
	open  int
	idle  list.List // *conn between requests, longest idle first
	fresh list.List // *conn accepted but not yet active, oldest first

	room    chan struct{} // a slot may have been freed or a connection went idle
	closed  chan struct{}
	once    sync.Once
	evicted atomic.Uint64
}

// New wraps inner so that at most limit connections are open at once; one more
// may be held in Accept while room is made. newGrace is DefaultNewConnGrace
// when zero.
func New(inner net.Listener, limit int, newGrace time.Duration) *Listener {
	if newGrace <= 0 {
		newGrace = DefaultNewConnGrace
	}
	return &Listener{
		Listener: inner,
		max:      max(limit, 1),
		newGrace: newGrace,
		room:     make(chan struct{}, 1),
		closed:   make(chan struct{}),
	}
}

// Accept waits for a connection, then for room for it: a free slot, or one
// made by closing the longest idle connection.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if err := l.makeRoom(); err != nil {
		c.Close()
		return nil, err
	}
	tracked := &conn{Conn: c, l: l}
	l.mu.Lock()
	tracked.enter(&l.fresh)
	l.mu.Unlock()
	return tracked, nil
}

// Close stops Accept, also while it waits for room.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Evicted is how many connections were closed to make room.
func (l *Listener) Evicted() uint64 { return l.evicted.Load() }

// ConnState is the http.Server hook that tells idle connections from busy
// ones.
func (l *Listener) ConnState(nc net.Conn, state http.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.closed {
		return // closed to make room, or by the server: in no list
	}
	switch state {
	case http.StateIdle:
		c.enter(&l.idle)
		l.signal()
	case http.StateActive, http.StateHijacked, http.StateClosed:
		c.leave()
	}
}

// makeRoom takes a slot for a new connection, closing idle ones as needed.
func (l *Listener) makeRoom() error {
	for {
		reserved, victim, wait := l.reserveOrPick()
		switch {
		case reserved:
			return nil
		case victim != nil:
			l.evicted.Add(1)
			victim.Close() // frees its slot
			continue
		}
		if err := l.waitForRoom(wait); err != nil {
			return err
		}
	}
}

// waitForRoom waits until a slot may have freed or a connection went idle,
// or for wait when it is positive.
func (l *Listener) waitForRoom(wait time.Duration) error {
	var timeout <-chan time.Time // nil: no timeout
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-l.room:
	case <-timeout:
	case <-l.closed:
		return net.ErrClosed
	}
	return nil
}

// reserveOrPick takes a slot if one is free. Otherwise it picks the
// connection to close (the longest idle, else a silent new one past its
// grace), or says how long until the oldest new one passes its grace (0:
// wait for a slot).
func (l *Listener) reserveOrPick() (reserved bool, victim *conn, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open < l.max {
		l.open++
		return true, nil, 0
	}
	if front := l.idle.Front(); front != nil {
		victim = front.Value.(*conn)
		victim.leave()
		return false, victim, 0
	}
	if front := l.fresh.Front(); front != nil {
		c := front.Value.(*conn)
		silent := time.Since(c.since)
		if silent >= l.newGrace {
			c.leave()
			return false, c, 0
		}
		return false, nil, l.newGrace - silent
	}
	return false, nil, 0
}

// signal wakes a waiting Accept; l.mu is held.
func (l *Listener) signal() {
	select {
	case l.room <- struct{}{}:
	default:
	}
}

// conn is an accepted connection that frees its slot when closed.
type conn struct {
	net.Conn
	l      *Listener
	once   sync.Once
	closed bool          // under l.mu
	since  time.Time     // when it entered its list
	in     *list.List    // the list it is in, if any; under l.mu
	elem   *list.Element // its element there
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		l := c.l
		l.mu.Lock()
		defer l.mu.Unlock()
		c.closed = true
		c.leave()
		l.open--
		l.signal()
	})
	return err
}

// CloseWrite passes net/http's half-close through: before closing a
// connection whose request body it did not read (a 413), the server closes
// its side for writing so that the client reads the answer, not a reset.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// enter puts c at the back of lst (leaving any other); l.mu is held.
func (c *conn) enter(lst *list.List) {
	c.leave()
	c.since = time.Now()
	c.in, c.elem = lst, lst.PushBack(c)
}

// leave takes c out of its list; l.mu is held.
func (c *conn) leave() {
	if c.in != nil {
		c.in.Remove(c.elem)
		c.in, c.elem = nil, nil
	}
}

// ReservedFiles are the file descriptors kept back from client connections
// for everything else a node opens: database and Redis pools, calls to
// WeChat, log and data files.
const ReservedFiles = 256

// FitFileLimit returns limit, lowered when the process's file descriptor
// limit leaves less than that beside ReservedFiles (but never below 1), and
// whether it was lowered.
func FitFileLimit(limit int) (int, bool) {
	files := fileLimit()
	if files == 0 || limit <= files-ReservedFiles {
		return limit, false
	}
	return max(files-ReservedFiles, 1), true
}
