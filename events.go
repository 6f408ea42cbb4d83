package miniauth

import (
	"context"
	"sort"
	"time"
)

// Kinds of login events.
const (
	EventLogin   = "login"
	EventRefresh = "refresh"
	EventLogout  = "logout"
)

// ResultOK is the result of an event that succeeded; a failure's result is
// its error code.
const ResultOK = "ok"

// LoginEvent is one login, refresh or logout, or a failed one: what an
// operator reads to see why a user's login fails.
type LoginEvent struct {
	At        time.Time
	Kind      string // EventLogin, EventRefresh, EventLogout
	UserID    string // empty when the failure came before the user was known
	AppID     string
	Platform  string // the app's platform; empty for an unknown appid
	Result    string // ResultOK or an error code
	IP        string
	UserAgent string // repaired text, cut as sessions store it
	NewUser   bool   // a login that created its user
}

// LoginDailyCount is one row of the daily aggregates: how many events of a
// kind and result an app had on a day, and how many users they created.
type LoginDailyCount struct {
	Day      string // YYYY-MM-DD in the deployment's day zone
	AppID    string
	Platform string
	Kind     string
	Result   string
	Count    int
	NewUsers int
}

// LoginEventStore keeps login events and their daily aggregates.
// Implementation: internal/sqlstore (SQLite, PostgreSQL, MySQL).
type LoginEventStore interface {
	// RecordLoginEvents inserts events and adds daily (one row per key) to
	// the daily aggregates, in one transaction: the aggregates never count
	// an event that is not stored, nor miss one that is.
	RecordLoginEvents(ctx context.Context, events []LoginEvent, daily []LoginDailyCount) error

	// UserLoginEvents returns the user's events before before, newest
	// first, at most limit.
	UserLoginEvents(ctx context.Context, userID string, before time.Time, limit int) ([]LoginEvent, error)

	// LoginDailyCounts returns the aggregate rows of the days from fromDay
	// to toDay (YYYY-MM-DD, both included).
	LoginDailyCounts(ctx context.Context, fromDay, toDay string) ([]LoginDailyCount, error)

	// PurgeLoginEvents deletes the events before before and returns how
	// many. The aggregates stay: they hold no personal data.
	PurgeLoginEvents(ctx context.Context, before time.Time) (int, error)
}

// DailyStat is one day of the dashboard's charts.
type DailyStat struct {
	Day       string // YYYY-MM-DD in the deployment's day zone
	NewUsers  int
	Logins    int // logins that succeeded
	Refreshes int // refreshes that succeeded
	Logouts   int
	// Failures counts failed logins and refreshes by result code and
	// platform, largest first.
	Failures []FailureStat
}

// FailureStat is a count of failures of one code on one platform.
type FailureStat struct {
	Code     string
	Platform string
	Count    int
}

// Bounds of the read interface.
const (
	MaxLoginEventsPage = 200
	MaxDailyStatsDays  = 366
	dayLayout          = "2006-01-02"
)

// UserLogins returns the user's login events before before (zero: now),
// newest first: limit of them (1 to MaxLoginEventsPage), or more when
// events after the limit share the last one's time. The next page asks for
// the events before that time, which would skip the rest of them (a login
// and its refresh can fall in one millisecond), so the page takes them all.
// A page of at least limit events may have a next one.
//
// Errors: EInvalidRequest (limit), ENotFound (no such user),
// EUpstreamUnavailable.
func (s *Service) UserLogins(ctx context.Context, userID string, before time.Time, limit int) ([]LoginEvent, error) {
	if s.loginEvents == nil {
		return nil, errNoLoginEvents
	}
	if limit < 1 || limit > MaxLoginEventsPage {
		return nil, Errorf(EInvalidRequest, "limit must be from 1 to %d", MaxLoginEventsPage)
	}
	if _, err := s.users.UserByID(ctx, userID); err != nil {
		return nil, err
	}
	if before.IsZero() {
		before = s.opts.Now().Add(time.Millisecond)
	}
	events, err := s.loginEvents.UserLoginEvents(ctx, userID, before, limit+1)
	if err != nil || len(events) <= limit {
		return events, err
	}
	last := events[limit-1].At
	if !events[limit].At.Equal(last) {
		return events[:limit], nil
	}
	// Every event of the last one's time (stored to the millisecond).
	tied, err := s.loginEvents.UserLoginEvents(ctx, userID, last.Add(time.Millisecond), MaxLoginEventsPage)
	if err != nil {
		return nil, err
	}
	page := make([]LoginEvent, 0, limit+1)
	for _, e := range events {
		if e.At.After(last) {
			page = append(page, e)
		}
	}
	for _, e := range tied {
		if e.At.Equal(last) {
			page = append(page, e)
		}
	}
	return page, nil
}

// DailyLoginStats returns one DailyStat per day of the days from from to to
// (both included, in the deployment's day zone), days without events too,
// oldest first. It reads the daily aggregates only, never the events.
//
// Errors: EInvalidRequest (to before from, or more than MaxDailyStatsDays),
// EUpstreamUnavailable.
func (s *Service) DailyLoginStats(ctx context.Context, from, to time.Time) ([]DailyStat, error) {
	if s.loginEvents == nil {
		return nil, errNoLoginEvents
	}
	days := s.daysBetween(from, to)
	if len(days) == 0 || len(days) > MaxDailyStatsDays {
		return nil, Errorf(EInvalidRequest, "the range must hold 1 to %d days", MaxDailyStatsDays)
	}
	rows, err := s.loginEvents.LoginDailyCounts(ctx, days[0], days[len(days)-1])
	if err != nil {
		return nil, err
	}
	return foldDailyCounts(days, rows), nil
}

var errNoLoginEvents = Errorf(ENotFound, "login events are not recorded on this server")

// daysBetween lists the days from from to to in the day zone, at most one
// past MaxDailyStatsDays.
func (s *Service) daysBetween(from, to time.Time) []string {
	zone := s.opts.Events.DayZone
	first := dayStart(from.In(zone))
	last := dayStart(to.In(zone))
	var days []string
	for d := first; !d.After(last) && len(days) <= MaxDailyStatsDays; d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(dayLayout))
	}
	return days
}

func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// foldDailyCounts turns aggregate rows into one DailyStat per day.
func foldDailyCounts(days []string, rows []LoginDailyCount) []DailyStat {
	stats := make([]DailyStat, len(days))
	index := make(map[string]int, len(days))
	for i, d := range days {
		stats[i].Day = d
		index[d] = i
	}
	for _, r := range rows {
		i, ok := index[r.Day]
		if !ok {
			continue
		}
		st := &stats[i]
		st.NewUsers += r.NewUsers
		switch {
		case r.Kind == EventLogout:
			st.Logouts += r.Count
		case r.Result != ResultOK:
			st.Failures = addFailure(st.Failures, r.Result, r.Platform, r.Count)
		case r.Kind == EventLogin:
			st.Logins += r.Count
		case r.Kind == EventRefresh:
			st.Refreshes += r.Count
		}
	}
	for i := range stats {
		sortFailures(stats[i].Failures)
	}
	return stats
}

// sortFailures orders failures largest first, then by code and platform.
func sortFailures(f []FailureStat) {
	sort.Slice(f, func(a, b int) bool {
		if f[a].Count != f[b].Count {
			return f[a].Count > f[b].Count
		}
		if f[a].Code != f[b].Code {
			return f[a].Code < f[b].Code
		}
		return f[a].Platform < f[b].Platform
	})
}

func addFailure(fs []FailureStat, code, platform string, n int) []FailureStat {
	for i := range fs {
		if fs[i].Code == code && fs[i].Platform == platform {
			fs[i].Count += n
			return fs
		}
	}
	return append(fs, FailureStat{Code: code, Platform: platform, Count: n})
}
