package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/miniauth/miniauth"
)

// DefaultEventDays is how many days the seeded events span, ending now:
// the default retention of events.
const DefaultEventDays = 90

// EventInserter writes a batch of login events with the daily aggregates
// they add, in one transaction (sqlstore.Store.RecordLoginEvents).
type EventInserter interface {
	RecordLoginEvents(ctx context.Context, events []miniauth.LoginEvent, daily []miniauth.LoginDailyCount) error
}

// EventUser is whom a seeded event belongs to.
type EventUser struct{ ID, AppID, Platform string }

// Events say what login events to seed.
type Events struct {
	Count int
	Days  int // the events are spread evenly over the Days days ending at Now
	// The events' users are User(0) to User(Users-1), drawn at random.
	Users int
	User  func(i int) EventUser
	Now   time.Time
	Zone  *time.Location // the days of the aggregates, as events.day_zone; default UTC
	Batch int            // events per transaction, default DefaultBatch
	Store EventInserter
	// Progress, when set, is told after every batch.
	Progress func(done, total int)
}

// SeedEvents writes e.Count events, oldest first, a batch per transaction
// with the rows it adds to the daily aggregates (miniauth.DailyCounts, as
// the service's writer does), so that the aggregates count exactly the
// seeded events. Each user's first successful login is the one that
// created it. The mix is about a service's: most events are logins and
// refreshes, a few logouts, and some failures of each code a login or a
// refresh meets.
func SeedEvents(ctx context.Context, e Events) error {
	if e.Count <= 0 {
		return nil
	}
	if e.Users <= 0 || e.User == nil || e.Store == nil {
		return fmt.Errorf("seed: %d events need users and a store", e.Count)
	}
	if e.Days <= 0 {
		e.Days = DefaultEventDays
	}
	if e.Zone == nil {
		e.Zone = time.UTC
	}
	if e.Batch <= 0 {
		e.Batch = DefaultBatch
	}
	if e.Now.IsZero() {
		e.Now = time.Now()
	}
	gen := eventGen{e: e, created: make([]uint64, (e.Users+63)/64),
		rnd: rand.New(rand.NewPCG(uint64(e.Now.UnixNano()), uint64(e.Count)))}
	batch := make([]miniauth.LoginEvent, 0, min(e.Batch, e.Count))
	for start := 0; start < e.Count; start += e.Batch {
		batch = batch[:0]
		for i := start; i < min(e.Count, start+e.Batch); i++ {
			batch = append(batch, gen.event(i))
		}
		if err := e.Store.RecordLoginEvents(ctx, batch, miniauth.DailyCounts(batch, e.Zone)); err != nil {
			return fmt.Errorf("seed: events %d to %d: %w", start, start+len(batch), err)
		}
		if e.Progress != nil {
			e.Progress(start+len(batch), e.Count)
		}
	}
	return nil
}

type eventGen struct {
	e       Events
	rnd     *rand.Rand
	created []uint64 // a bit per user: its first successful login is recorded
}

// Failures a seeded login or refresh may end with, the first most often.
var (
	loginFailures   = []string{miniauth.EInvalidCode, miniauth.EInvalidCode, miniauth.EUpstreamUnavailable, miniauth.ERateLimited, miniauth.EUserBlocked}
	refreshFailures = []string{miniauth.EUnauthorized}
	userAgents      = []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 MicroMessenger/8.0.49",
		"Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 MicroMessenger/8.0.50",
		"Mozilla/5.0 (Linux; Android 13; 22081212C) AppleWebKit/537.36 QQ/9.0.60",
		"okhttp/4.12.0",
	}
)

func (g *eventGen) event(i int) miniauth.LoginEvent {
	span := time.Duration(g.e.Days) * 24 * time.Hour
	at := g.e.Now.Add(-span + time.Duration(int64(span)/int64(g.e.Count)*int64(i)))
	u := g.rnd.IntN(g.e.Users)
	who := g.e.User(u)
	ev := miniauth.LoginEvent{At: at, UserID: who.ID, AppID: who.AppID, Platform: who.Platform,
		Result: miniauth.ResultOK, UserAgent: userAgents[u%len(userAgents)],
		IP: "10." + strconv.Itoa(u>>16&255) + "." + strconv.Itoa(u>>8&255) + "." + strconv.Itoa(u&255)}
	switch r := g.rnd.IntN(100); {
	case r < 55:
		ev.Kind = miniauth.EventLogin
		if r < 3 {
			ev.Result = loginFailures[g.rnd.IntN(len(loginFailures))]
		}
	case r < 95:
		ev.Kind = miniauth.EventRefresh
		if r < 56 {
			ev.Result = refreshFailures[g.rnd.IntN(len(refreshFailures))]
		}
	default:
		ev.Kind = miniauth.EventLogout
	}
	if ev.Kind == miniauth.EventLogin && ev.Result == miniauth.ResultOK && g.created[u/64]&(1<<(u%64)) == 0 {
		g.created[u/64] |= 1 << (u % 64)
		ev.NewUser = true
	}
	return ev
}
