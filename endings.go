package miniauth

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// SessionEnding is one session's end, or the end of every session of a
// user, as every node learns it. Seq numbers the endings in the order they
// were committed; Until is when the last access token they end has
// expired.
type SessionEnding struct {
	Seq int64
	// SessionID names the session that ended; empty, UserID names a user
	// all of whose sessions' tokens issued at or before At ended (a
	// disable, or "log out everywhere": no list of sessions from a store
	// that may have lost some).
	SessionID string
	UserID    string
	At        time.Time
	Until     time.Time
}

// SessionEndingStore is the feed of endings (logout, revocation, a reuse,
// a disabled user) that lets a node verify a sealed access token without
// asking the session store: the token proves its claims, and the feed says
// whether its session ended. It lives in the SQL database, durable, whatever
// keeps the sessions. Implementation: internal/sqlstore.
type SessionEndingStore interface {
	// RecordSessionEndings appends the endings (their Seq is ignored).
	// Endings are numbered in the order they commit: once a reader has seen
	// ending n, no ending numbered n or below can appear after.
	RecordSessionEndings(ctx context.Context, endings []SessionEnding) error

	// SessionEndingsAfter returns, by number, at most limit endings
	// numbered after seq whose Until is after now.
	SessionEndingsAfter(ctx context.Context, seq int64, now time.Time, limit int) ([]SessionEnding, error)

	// PurgeSessionEndings deletes endings whose Until is before t, but never
	// the newest (the numbering goes on from it), and returns how many.
	PurgeSessionEndings(ctx context.Context, before time.Time) (int, error)
}

// DefaultEndingsInterval is how often a node reads new endings, by default.
// A node trusts its copy of the feed for three intervals after a read
// began (endingsFeed.fresh), then asks the store again: a logout reaches
// every node within a second, as the contract asks.
const DefaultEndingsInterval = 250 * time.Millisecond

// endingsPage is the most endings one read returns; a read takes pages
// until it has all.
const endingsPage = 1_000

// endingsFeed is this node's copy of the endings of sessions whose access
// tokens may still be valid.
type endingsFeed struct {
	store    SessionEndingStore
	onRead   func([]SessionEnding) // told of every page read, once applied
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger

	// readAt is when the last complete read began, in Unix nanoseconds (0:
	// none yet). Every ending committed before it is in ended.
	readAt   atomic.Int64
	failed   atomic.Uint64 // reads that failed
	answered atomic.Uint64 // verifies answered from a sealed token and this copy

	mu       sync.RWMutex
	ended    map[string]time.Time  // session id -> Until
	users    map[string]userEnding // user id -> the latest ending of all its sessions
	cursor   int64
	prunedAt time.Time
}

func newEndingsFeed(store SessionEndingStore, interval time.Duration, now func() time.Time, log *slog.Logger) *endingsFeed {
	if store == nil {
		return nil
	}
	return &endingsFeed{store: store, interval: interval, now: now, log: log,
		ended: map[string]time.Time{}, users: map[string]userEnding{}}
}

// userEnding ends a user's tokens issued at or before at.
type userEnding struct{ at, until time.Time }

// fresh reports whether the copy may answer for the feed at now.
func (f *endingsFeed) fresh(now time.Time) bool {
	at := f.readAt.Load()
	return at != 0 && now.UnixNano()-at < int64(3*f.interval)
}

// isEnded reports whether a token of the session and user, issued at
// issuedAt, ended.
func (f *endingsFeed) isEnded(sessionID, userID string, issuedAt time.Time) bool {
	f.mu.RLock()
	_, ended := f.ended[sessionID]
	u, all := f.users[userID]
	f.mu.RUnlock()
	return ended || (all && !issuedAt.After(u.at))
}

// add notes endings, read or this node's own (before the next read).
func (f *endingsFeed) add(endings []SessionEnding) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addLocked(endings)
}

func (f *endingsFeed) addLocked(endings []SessionEnding) {
	for _, e := range endings {
		if e.SessionID != "" {
			f.ended[e.SessionID] = e.Until
		} else if u, ok := f.users[e.UserID]; !ok || e.At.After(u.at) {
			f.users[e.UserID] = userEnding{e.At, e.Until}
		}
		f.cursor = max(f.cursor, e.Seq)
	}
}

// run reads the feed every interval until ctx ends.
func (f *endingsFeed) run(ctx context.Context) {
	tick := time.NewTicker(f.interval)
	defer tick.Stop()
	for {
		f.read(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// read takes every ending after the cursor. Only a read that got them all
// moves readAt: a failure leaves the copy to go stale.
func (f *endingsFeed) read(ctx context.Context) {
	began := f.now()
	ctx, cancel := context.WithTimeout(ctx, 3*f.interval)
	defer cancel()
	for {
		f.mu.RLock()
		cursor := f.cursor
		f.mu.RUnlock()
		page, err := f.store.SessionEndingsAfter(ctx, cursor, began, endingsPage)
		if err != nil {
			if n := f.failed.Add(1); n == 1 || n%100 == 0 {
				f.log.Warn("reading session endings", "err", err)
			}
			return
		}
		f.mu.Lock()
		f.addLocked(page)
		f.pruneLocked(began)
		f.mu.Unlock()
		if f.onRead != nil && len(page) > 0 {
			f.onRead(page)
		}
		if len(page) < endingsPage {
			break
		}
	}
	f.readAt.Store(began.UnixNano())
}

// pruneLocked forgets, once a minute, the endings whose tokens have all
// expired.
func (f *endingsFeed) pruneLocked(now time.Time) {
	if now.Sub(f.prunedAt) < time.Minute {
		return
	}
	f.prunedAt = now
	for id, until := range f.ended {
		if now.After(until) {
			delete(f.ended, id)
		}
	}
	for id, u := range f.users {
		if now.After(u.until) {
			delete(f.users, id)
		}
	}
}
