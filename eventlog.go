package miniauth

import (
	"context"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"
)

// EventOptions configures the recording of login events. A nil Store
// records nothing.
type EventOptions struct {
	Store LoginEventStore
	// Retention is how long events are kept (default 90 days).
	Retention time.Duration
	// QueueSize bounds the events waiting for the writer (default 10,000);
	// past it new events are dropped and counted, never waited for.
	QueueSize int
	// BatchSize is the most events written at once (default 500), and
	// FlushInterval how long an event waits for others (default 100ms).
	BatchSize     int
	FlushInterval time.Duration
	// DayZone is the time zone of the daily aggregates' days (default UTC).
	DayZone *time.Location
}

// Defaults of EventOptions.
const (
	DefaultEventRetention     = 90 * 24 * time.Hour
	DefaultEventQueueSize     = 10_000
	DefaultEventBatchSize     = 500
	DefaultEventFlushInterval = 100 * time.Millisecond
)

// eventWriteTimeout bounds a batch's write, and the final flush at shutdown.
const eventWriteTimeout = 10 * time.Second

// maxEventAppID bounds what an event keeps of an appid from the request.
const maxEventAppID = 64

func (o EventOptions) withDefaults() EventOptions {
	if o.Retention <= 0 {
		o.Retention = DefaultEventRetention
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultEventQueueSize
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultEventBatchSize
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultEventFlushInterval
	}
	if o.DayZone == nil {
		o.DayZone = time.UTC
	}
	return o
}

// eventLog hands events from requests to one background writer through a
// bounded queue: a request never waits for the database to record its
// event, and a database that cannot keep up costs events, not logins.
type eventLog struct {
	opts    EventOptions
	queue   chan LoginEvent
	dropped atomic.Uint64
	failed  atomic.Uint64 // events whose batch the store refused
	log     *slog.Logger
}

func newEventLog(opts EventOptions, log *slog.Logger) *eventLog {
	if opts.Store == nil {
		return nil
	}
	return &eventLog{opts: opts, queue: make(chan LoginEvent, opts.QueueSize), log: log}
}

// add queues e, or drops and counts it when the queue is full.
func (l *eventLog) add(e LoginEvent) {
	if l == nil {
		return
	}
	select {
	case l.queue <- e:
	default:
		l.dropped.Add(1)
	}
}

// run writes batches until ctx ends, then writes what is queued.
func (l *eventLog) run(ctx context.Context) {
	batch := make([]LoginEvent, 0, l.opts.BatchSize)
	tick := time.NewTicker(l.opts.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case e := <-l.queue:
			batch = append(batch, e)
			if len(batch) >= l.opts.BatchSize {
				batch = l.write(batch)
			}
		case <-tick.C:
			if len(batch) > 0 {
				batch = l.write(batch)
			}
		case <-ctx.Done():
			l.drain(batch)
			return
		}
	}
}

// drain writes the batch and everything still queued: at shutdown the
// requests have finished, so the queue holds its last events.
func (l *eventLog) drain(batch []LoginEvent) {
	for {
		select {
		case e := <-l.queue:
			batch = append(batch, e)
			if len(batch) >= l.opts.BatchSize {
				batch = l.write(batch)
			}
		default:
			if len(batch) > 0 {
				l.write(batch)
			}
			return
		}
	}
}

// write stores a batch with its aggregates and returns the emptied batch.
// A batch the store refuses is lost (and counted): retrying it would hold
// up every later one behind a store that is down.
func (l *eventLog) write(batch []LoginEvent) []LoginEvent {
	ctx, cancel := context.WithTimeout(context.Background(), eventWriteTimeout)
	defer cancel()
	if err := l.opts.Store.RecordLoginEvents(ctx, batch, DailyCounts(batch, l.opts.DayZone)); err != nil {
		l.failed.Add(uint64(len(batch)))
		l.log.Warn("recording login events", "events", len(batch), "err", err)
	}
	return batch[:0]
}

// dailyCounts aggregates a batch into one row per key, sorted, so that
// concurrent writers upsert the rows in one order and never deadlock.
func DailyCounts(batch []LoginEvent, zone *time.Location) []LoginDailyCount {
	type key struct{ day, app, platform, kind, result string }
	counts := map[key]*LoginDailyCount{}
	for _, e := range batch {
		k := key{e.At.In(zone).Format(dayLayout), e.AppID, e.Platform, e.Kind, e.Result}
		c, ok := counts[k]
		if !ok {
			c = &LoginDailyCount{Day: k.day, AppID: k.app, Platform: k.platform, Kind: k.kind, Result: k.result}
			counts[k] = c
		}
		c.Count++
		if e.NewUser {
			c.NewUsers++
		}
	}
	out := make([]LoginDailyCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return dailyKeyLess(out[i], out[j]) })
	return out
}

func dailyKeyLess(a, b LoginDailyCount) bool {
	for _, p := range [][2]string{{a.Day, b.Day}, {a.AppID, b.AppID}, {a.Platform, b.Platform}, {a.Kind, b.Kind}, {a.Result, b.Result}} {
		if p[0] != p[1] {
			return p[0] < p[1]
		}
	}
	return false
}

// LoginEventsDropped is how many events were not recorded: dropped because
// the queue was full, or in a batch the store refused.
func (s *Service) LoginEventsDropped() uint64 {
	if s.eventLog == nil {
		return 0
	}
	return s.eventLog.dropped.Load() + s.eventLog.failed.Load()
}

// purgeLoginEvents deletes the events older than the retention.
func (s *Service) purgeLoginEvents(ctx context.Context, now time.Time) {
	if s.loginEvents == nil {
		return
	}
	n, err := s.loginEvents.PurgeLoginEvents(ctx, now.Add(-s.opts.Events.Retention))
	if err != nil {
		s.log.Warn("purging login events", "err", err)
	} else if n > 0 {
		s.log.Info("purged login events", "count", n)
	}
}

// loginAttempt collects what an event of one login, refresh or logout says,
// as the use case learns it; end queues the event.
type loginAttempt struct {
	s     *Service
	event LoginEvent
}

// attempt starts the event of a login, refresh or logout from ip with
// userAgent; appID is what the request named, if anything (a login naming
// none is the default app's).
func (s *Service) attempt(kind, appID, ip, userAgent string) *loginAttempt {
	if s.eventLog == nil {
		return nil
	}
	a := &loginAttempt{s: s, event: LoginEvent{Kind: kind, IP: cleanText(ip, maxIPBytes),
		UserAgent: cleanText(userAgent, maxUserAgentBytes)}}
	if kind == EventLogin {
		if resolved, err := s.resolveApp(appID); err == nil {
			appID = resolved
		}
	}
	a.app(appID)
	return a
}

// app names the event's app (and so its platform).
func (a *loginAttempt) app(appID string) {
	if a == nil || appID == "" {
		return
	}
	a.event.AppID = cleanText(appID, maxEventAppID)
	a.event.Platform = a.s.platformOf(appID)
}

// session names the event's user and app from a session (nil: unknown).
func (a *loginAttempt) session(s *Session) {
	if a == nil || s == nil {
		return
	}
	a.event.UserID = s.UserID
	a.app(s.AppID)
}

// user names the event's user.
func (a *loginAttempt) user(u *User, created bool) {
	if a == nil || u == nil {
		return
	}
	a.event.UserID, a.event.NewUser = u.ID, created
	a.app(u.AppID)
}

// end queues the event with the outcome err. NewUser stays as it was: a
// login that created its user and then failed still created it.
func (a *loginAttempt) end(errp *error) {
	if a == nil {
		return
	}
	err := *errp
	a.event.At = a.s.opts.Now()
	a.event.Result = ResultOK
	if err != nil {
		a.event.Result = ErrorCode(err)
	}
	a.s.eventLog.add(a.event)
}
