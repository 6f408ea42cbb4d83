// Package seed fills a database with many users and live sessions, fast,
// so that `miniauth bench` can measure how verify and login behave as the
// data grows (a million sessions, ten million users). It writes through the
// stores' batch inserts (one transaction per batch) rather than through the
// HTTP API, with the service's own token format and hashing, and keeps the
// plain access tokens in a file for the load client.
package seed

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/miniauth/miniauth"
)

// Defaults of Options.
const (
	DefaultBatch         = 50_000 // rows per transaction
	DefaultSessionTTL    = 30 * 24 * time.Hour
	DefaultCreateWorkers = 16 // concurrent CreateSession calls for stores without batches (below go-redis's pool of 10 per CPU)
)

// UserInserter writes a batch of new users (sqlstore.Store.InsertUsers).
type UserInserter interface {
	InsertUsers(ctx context.Context, users []*miniauth.User) error
}

// SessionInserter writes a batch of new sessions.
type SessionInserter interface {
	InsertSessions(ctx context.Context, sessions []*miniauth.Session) error
}

// Options say what to seed and where.
type Options struct {
	AppID    string
	Users    int // users to create
	Sessions int // live sessions, spread over the first users (at least one user)
	// Events are login events over the users, spread over EventDays days
	// ending at Now (default DefaultEventDays), with their daily aggregates.
	Events    int
	EventDays int
	Batch     int // rows per batch, default DefaultBatch
	// SessionTTL is how long the seeded tokens stay valid, so that one seed
	// serves many runs. Default DefaultSessionTTL.
	SessionTTL time.Duration
	Now        time.Time // default time.Now()

	UserStore    UserInserter
	SessionStore SessionInserter
	EventStore   EventInserter
	// Tokens receives the plain access token of every session, one a line.
	Tokens io.Writer
	// Sealer, when set, seals each access token's claims as a server
	// with the same key encryption key does.
	Sealer *miniauth.TokenSealer
	// Progress, when set, is told after every batch.
	Progress func(what string, done, total int)
}

// Report says what was written and how long it took.
type Report struct {
	Users, Sessions, Events             int
	UsersTime, SessionsTime, EventsTime time.Duration
}

// Run writes the users, then the sessions.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if (o.Sessions > 0 || o.Events > 0) && o.Users <= 0 {
		return Report{}, fmt.Errorf("seed: sessions and events need at least one user")
	}
	g := newGenerator(o)
	var r Report
	start := time.Now()
	if err := g.users(ctx); err != nil {
		return r, err
	}
	r.Users, r.UsersTime = o.Users, time.Since(start)
	start = time.Now()
	if err := g.sessions(ctx); err != nil {
		return r, err
	}
	r.Sessions, r.SessionsTime = o.Sessions, time.Since(start)
	start = time.Now()
	if err := g.events(ctx); err != nil {
		return r, err
	}
	r.Events, r.EventsTime = o.Events, time.Since(start)
	return r, nil
}

// generator makes rows that every index receives in ascending order (ids,
// openids and creation times grow with the row number), so that a batch
// appends to the B-trees instead of writing all over them; that is what
// lets SQLite take ten million users in minutes. Token hashes are random,
// as in service.
type generator struct {
	o    Options
	run  [6]byte // makes ids and openids unique across seeds of one database
	seed uint64  // run as a number, for openids
}

func newGenerator(o Options) *generator {
	g := &generator{o: o}
	rand.Read(g.run[:])
	for _, c := range g.run {
		g.seed = g.seed<<8 | uint64(c)
	}
	return g
}

// Kinds of id, so that a user and a session never share one.
const (
	userKind    = 'u'
	sessionKind = 's'
)

// id is laid out as miniauth.NewID's (the time in milliseconds first, so
// ids sort by creation), then the run, the kind and the row number instead
// of random bits, so that a session can name its user's id.
func (g *generator) id(at time.Time, kind byte, i int) string {
	var b [16]byte
	ms := uint64(at.UnixMilli())
	for j := 5; j >= 0; j-- {
		b[j] = byte(ms)
		ms >>= 8
	}
	copy(b[6:9], g.run[:3])
	b[9] = kind
	n := uint64(i)
	for j := 15; j >= 10; j-- {
		b[j] = byte(n)
		n >>= 8
	}
	return hex.EncodeToString(b[:])
}

// userCreated is user i's creation time: one millisecond apart, ending now.
func (g *generator) userCreated(i int) time.Time {
	return g.o.Now.Add(time.Duration(i-g.o.Users) * time.Millisecond)
}

// openID is user i's: "o" and 27 characters of WeChat's base64url
// alphabet, 28 in all, spread as evenly over that key space as the
// simulator's random openids are, so that a new user's identity lands
// between seeded ones on a random page of the index, as it would with
// real users. (Openids of one row range, "o" + run + row number, would sit
// apart from every new one, and the index's size would cost a new login
// nothing.) They still ascend with i, so that the seed appends: the first
// ten characters are i's share of the 60-bit space plus a jitter within
// it, the other seventeen depend on the run and i alone, so that sessions
// can name their user's openid and two seeds of one database differ.
func (g *generator) openID(i int) string {
	var b [28]byte
	b[0] = 'o'
	bucket := uint64(1<<60) / uint64(max(g.o.Users, 1))
	h1, h2 := splitmix(g.seed^uint64(i)), splitmix(g.seed+uint64(i)<<1|1)
	top := uint64(i)*bucket + h1%bucket
	for j := 10; j >= 1; j-- {
		b[j] = sortedBase64[top&63]
		top >>= 6
	}
	tail := [2]uint64{h2, splitmix(h1)} // ten characters from each
	for k := range 17 {
		b[11+k] = sortedBase64[tail[k/10]>>(6*(k%10))&63]
	}
	return string(b[:])
}

// sortedBase64 is the base64url alphabet in byte order, so that a larger
// number encodes to a string that sorts after.
const sortedBase64 = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

// splitmix is SplitMix64's finalizer: well-spread bits from a counter.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func (g *generator) users(ctx context.Context) error {
	batch := make([]*miniauth.User, 0, g.o.Batch)
	for start := 0; start < g.o.Users; start += g.o.Batch {
		batch = batch[:0]
		for i := start; i < min(g.o.Users, start+g.o.Batch); i++ {
			at := g.userCreated(i)
			batch = append(batch, &miniauth.User{ID: g.id(at, userKind, i), AppID: g.o.AppID, OpenID: g.openID(i), CreatedAt: at, UpdatedAt: at})
		}
		if err := g.o.UserStore.InsertUsers(ctx, batch); err != nil {
			return fmt.Errorf("seed: users %d to %d: %w", start, start+len(batch), err)
		}
		g.progress("users", start+len(batch), g.o.Users)
	}
	return nil
}

func (g *generator) sessions(ctx context.Context) error {
	tokens := bufio.NewWriterSize(g.o.Tokens, 1<<20)
	batch := make([]*miniauth.Session, 0, g.o.Batch)
	for start := 0; start < g.o.Sessions; start += g.o.Batch {
		batch = batch[:0]
		for i := start; i < min(g.o.Sessions, start+g.o.Batch); i++ {
			s, access := g.session(i)
			batch = append(batch, s)
			tokens.WriteString(access)
			tokens.WriteByte('\n')
		}
		if err := g.o.SessionStore.InsertSessions(ctx, batch); err != nil {
			return fmt.Errorf("seed: sessions %d to %d: %w", start, start+len(batch), err)
		}
		g.progress("sessions", start+len(batch), g.o.Sessions)
	}
	return tokens.Flush()
}

// FirstSessionAt is when the earliest of the seeded sessions was made: they
// are backdated one millisecond apart, the last at Now.
func (o Options) FirstSessionAt() time.Time {
	return o.Now.Add(-time.Duration(o.Sessions) * time.Millisecond)
}

// session i belongs to user i modulo the users, and is created after them.
func (g *generator) session(i int) (*miniauth.Session, string) {
	u := i % g.o.Users
	at := g.o.Now.Add(time.Duration(i-g.o.Sessions) * time.Millisecond)
	access, refresh := miniauth.NewTokenPair()
	var key [16]byte
	rand.Read(key[:])
	s := &miniauth.Session{
		ID:               g.id(at, sessionKind, i),
		UserID:           g.id(g.userCreated(u), userKind, u),
		AppID:            g.o.AppID,
		OpenID:           g.openID(u),
		SessionKey:       base64.StdEncoding.EncodeToString(key[:]),
		AccessHash:       miniauth.HashToken(access),
		RefreshHash:      miniauth.HashToken(refresh),
		UserAgent:        "miniauth-seed",
		IP:               "127.0.0.1",
		CreatedAt:        at,
		LastUsedAt:       at,
		IssuedAt:         at,
		AccessExpiresAt:  g.o.Now.Add(g.o.SessionTTL),
		RefreshExpiresAt: g.o.Now.Add(g.o.SessionTTL),
	}
	if g.o.Sealer != nil {
		return s, g.o.Sealer.Seal(access, s)
	}
	return s, access
}

// events seeds the login events over the users, all of one app.
func (g *generator) events(ctx context.Context) error {
	return SeedEvents(ctx, Events{
		Count: g.o.Events, Days: g.o.EventDays, Users: g.o.Users, Now: g.o.Now, Batch: g.o.Batch, Store: g.o.EventStore,
		User: func(i int) EventUser {
			return EventUser{ID: g.id(g.userCreated(i), userKind, i), AppID: g.o.AppID, Platform: miniauth.PlatformWeixin}
		},
		Progress: func(done, total int) { g.progress("events", done, total) },
	})
}

func (g *generator) progress(what string, done, total int) {
	if g.o.Progress != nil {
		g.o.Progress(what, done, total)
	}
}

// Concurrent turns a session store without batches (Redis) into a
// SessionInserter that creates each batch's sessions from workers
// goroutines.
func Concurrent(store miniauth.SessionStore, workers int) SessionInserter {
	if workers <= 0 {
		workers = DefaultCreateWorkers
	}
	return concurrent{store, workers}
}

type concurrent struct {
	store   miniauth.SessionStore
	workers int
}

func (c concurrent) InsertSessions(ctx context.Context, sessions []*miniauth.Session) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan *miniauth.Session)
	errc := make(chan error, c.workers)
	var wg sync.WaitGroup
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				if err := createWithRetries(ctx, c.store, s); err != nil {
					errc <- err
					cancel()
					return
				}
			}
		}()
	}
	for _, s := range sessions {
		select {
		case next <- s:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	return ctx.Err()
}

// createAttempts bounds the tries of one session: on a machine busy enough
// to delay Redis past the client's read timeout, one slow answer should not
// end a seed of a million sessions.
const createAttempts = 3

func createWithRetries(ctx context.Context, store miniauth.SessionStore, s *miniauth.Session) error {
	var err error
	for attempt := 1; attempt <= createAttempts; attempt++ {
		err = store.CreateSession(ctx, s)
		switch {
		case err == nil:
			return nil
		case attempt > 1 && miniauth.ErrorCode(err) == miniauth.EInternal:
			return nil // "already exists": the attempt that timed out had landed
		case miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable:
			return err
		}
	}
	return err
}
