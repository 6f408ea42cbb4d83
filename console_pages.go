package miniauth

import (
	"context"
	"slices"
	"sync"
	"time"
)

// DashboardDays is how many days the dashboard's charts show, today included.
const DashboardDays = 30

// slowFigureTTL is how long the figures that count a whole table (users,
// live sessions) are reused before they are counted again, in the
// background: with millions of rows a count takes longer than a page may.
const slowFigureTTL = 10 * time.Second

// Dashboard is what the console's first page shows.
type Dashboard struct {
	Users        int64
	LiveSessions int64 // -1 when the session store cannot count them
	NewUsers     []DayCount
	Logins       []DayCount // nil without a login history
}

// Dashboard returns the figures of the dashboard. Past days are counted
// once and kept (they do not change); today is counted on every call
// through the indexes on creation times; the totals are at most
// slowFigureTTL old.
func (c *Console) Dashboard(ctx context.Context) (*Dashboard, error) {
	d := &Dashboard{LiveSessions: -1}
	var err error
	if d.Users, d.LiveSessions, err = c.stats.totals(ctx, c); err != nil {
		return nil, err
	}
	days := c.days()
	if d.NewUsers, err = c.perDay(ctx, "users", days, c.opts.Directory.CountNewUsers); err != nil {
		return nil, err
	}
	if c.opts.Logins != nil {
		if d.Logins, err = c.perDay(ctx, "logins", days, c.opts.Logins.CountLogins); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// days returns the starts of the dashboard's days, oldest first, and the
// start of tomorrow last.
func (c *Console) days() []time.Time {
	now := c.opts.Now().In(c.opts.Location)
	y, m, d := now.Date()
	days := make([]time.Time, DashboardDays+1)
	for i := range days {
		days[i] = time.Date(y, m, d-DashboardDays+1+i, 0, 0, 0, 0, c.opts.Location)
	}
	return days
}

func (c *Console) perDay(ctx context.Context, kind string, days []time.Time,
	count func(ctx context.Context, from, to time.Time) (int64, error)) ([]DayCount, error) {
	out := make([]DayCount, 0, len(days)-1)
	today := len(days) - 2
	for i, day := range days[:len(days)-1] {
		n, ok := c.stats.day(kind, day)
		if !ok || i == today {
			var err error
			n, err = call(ctx, c.opts.Deadline, "count per day", func(ctx context.Context) (int64, error) {
				return count(ctx, day, days[i+1])
			})
			if err != nil {
				return nil, err
			}
			if i != today {
				c.stats.keepDay(kind, day, n)
			}
		}
		out = append(out, DayCount{Day: day, Count: n})
	}
	c.stats.forgetBefore(days[0])
	return out, nil
}

// dayCache keeps the counts of past days and the slow totals.
type dayCache struct {
	mu        sync.Mutex
	past      map[dayKey]int64
	users     int64
	live      int64
	countedAt time.Time
	counting  bool
}

type dayKey struct {
	kind string
	day  int64 // Unix seconds of the day's start
}

func newDayCache() *dayCache { return &dayCache{past: map[dayKey]int64{}} }

func (d *dayCache) day(kind string, day time.Time) (int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.past[dayKey{kind, day.Unix()}]
	return n, ok
}

func (d *dayCache) keepDay(kind string, day time.Time, n int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.past[dayKey{kind, day.Unix()}] = n
}

func (d *dayCache) forgetBefore(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k := range d.past {
		if k.day < t.Unix() {
			delete(d.past, k)
		}
	}
}

// totals returns the counted totals: counted now the first time, then
// counted again in the background once older than slowFigureTTL.
func (d *dayCache) totals(ctx context.Context, c *Console) (users, live int64, err error) {
	d.mu.Lock()
	first := d.countedAt.IsZero()
	stale := !first && c.opts.Now().Sub(d.countedAt) > slowFigureTTL && !d.counting
	if stale {
		d.counting = true
	}
	users, live = d.users, d.live
	d.mu.Unlock()
	if first {
		return d.count(ctx, c)
	}
	if stale {
		go func() {
			// Off the request: its deadline and cancellation are not ours.
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if _, _, err := d.count(bg, c); err != nil && c.svc != nil {
				c.svc.log.Warn("counting the console's totals", "err", err)
			}
		}()
	}
	return users, live, nil
}

// count counts the totals, under a deadline of minutes rather than of a
// request: a count of millions of rows takes longer, and it runs once.
func (d *dayCache) count(ctx context.Context, c *Console) (int64, int64, error) {
	defer func() { d.mu.Lock(); d.counting = false; d.mu.Unlock() }()
	var users, live int64 = 0, -1
	err := c.opts.Deadline.run(ctx, purgeTimeout, "count the console's totals", func(ctx context.Context) error {
		var err error
		if users, err = c.opts.Directory.CountUsers(ctx); err != nil || c.opts.Live == nil {
			return err
		}
		live, err = c.opts.Live.CountLiveSessions(ctx, c.opts.Now())
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	d.mu.Lock()
	d.users, d.live, d.countedAt = users, live, c.opts.Now()
	d.mu.Unlock()
	return users, live, nil
}

// SearchUsers returns a page of users matching q, newest first.
//
// Errors: EUpstreamUnavailable.
func (c *Console) SearchUsers(ctx context.Context, q UserQuery) ([]*User, error) {
	return call(ctx, c.opts.Deadline, "search users", func(ctx context.Context) ([]*User, error) {
		return c.opts.Directory.SearchUsers(ctx, q)
	})
}

// UserDetail is what the console shows of one user.
type UserDetail struct {
	User     *User
	Sessions []*Session
	Logins   []LoginRecord
}

// UserLoginsShown is how many of a user's latest logins the console shows.
const UserLoginsShown = 50

// UserDetail returns a user with their live sessions and latest logins.
//
// Errors: ENotFound, EUpstreamUnavailable.
func (c *Console) UserDetail(ctx context.Context, id string) (*UserDetail, error) {
	if !ValidID(id) {
		return nil, Errorf(ENotFound, "user not found")
	}
	u, err := c.svc.User(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &UserDetail{User: u}
	if d.Sessions, err = c.svc.UserSessions(ctx, id); err != nil {
		return nil, err
	}
	if c.opts.Logins != nil {
		d.Logins, err = call(ctx, c.opts.Deadline, "user logins", func(ctx context.Context) ([]LoginRecord, error) {
			return c.opts.Logins.UserLogins(ctx, id, UserLoginsShown)
		})
	}
	return d, err
}

// RevokeSession ends one session of a user on every node, and audits it.
//
// Errors: ENotFound (no such live session of this user), EUpstreamUnavailable.
func (c *Console) RevokeSession(ctx context.Context, from Origin, userID, sessionID string) error {
	if !ValidID(userID) || !ValidID(sessionID) {
		return Errorf(ENotFound, "session not found")
	}
	sessions, err := c.svc.UserSessions(ctx, userID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(sessions, func(s *Session) bool { return s.ID == sessionID }) {
		return Errorf(ENotFound, "session not found")
	}
	if err := c.svc.RevokeSession(ctx, sessionID); err != nil {
		return err
	}
	return c.audit(ctx, from, AuditRevokeSession, sessionID)
}

// SetUserDisabled disables (ending every session) or enables a user, and
// audits it.
//
// Errors: ENotFound, EUpstreamUnavailable.
func (c *Console) SetUserDisabled(ctx context.Context, from Origin, userID string, disabled bool) error {
	if !ValidID(userID) {
		return Errorf(ENotFound, "user not found")
	}
	if _, err := c.svc.SetUserDisabled(ctx, userID, disabled); err != nil {
		return err
	}
	action := AuditEnableUser
	if disabled {
		action = AuditDisableUser
	}
	return c.audit(ctx, from, action, userID)
}
