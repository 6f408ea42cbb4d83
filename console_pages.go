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
	// Days are the last DashboardDays days, oldest first, today last.
	Days []DailyStat
	// Failures are the failed logins and refreshes of those days by code
	// and platform, largest first.
	Failures []FailureStat
}

// Dashboard returns the figures of the dashboard. The charts read the
// daily aggregates of the login events (a few rows per app and day,
// however many events there are); the totals are at most slowFigureTTL old.
func (c *Console) Dashboard(ctx context.Context) (*Dashboard, error) {
	d := &Dashboard{LiveSessions: -1}
	var err error
	if d.Users, d.LiveSessions, err = c.stats.totals(ctx, c); err != nil {
		return nil, err
	}
	now := c.opts.Now()
	if d.Days, err = c.svc.DailyLoginStats(ctx, now.AddDate(0, 0, 1-DashboardDays), now); err != nil {
		return nil, err
	}
	d.Failures = sumFailures(d.Days)
	return d, nil
}

// sumFailures adds up the days' failures by code and platform.
func sumFailures(days []DailyStat) []FailureStat {
	var out []FailureStat
	for _, d := range days {
		for _, f := range d.Failures {
			out = addFailure(out, f.Code, f.Platform, f.Count)
		}
	}
	sortFailures(out)
	return out
}

// totalsCache keeps the slow totals.
type totalsCache struct {
	mu        sync.Mutex
	users     int64
	live      int64
	countedAt time.Time
	counting  bool
}

// totals returns the counted totals: counted now the first time, then
// counted again in the background once older than slowFigureTTL.
func (d *totalsCache) totals(ctx context.Context, c *Console) (users, live int64, err error) {
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
func (d *totalsCache) count(ctx context.Context, c *Console) (int64, int64, error) {
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
	// Logins are the user's latest login events (before the page's
	// position, when paging), newest first.
	Logins []LoginEvent
	// Older is the position of the next page of Logins; zero on the last.
	Older time.Time
}

// UserLoginsShown is how many of a user's login events a page shows.
const UserLoginsShown = 50

// UserDetail returns a user with their live sessions and their login
// events before before (zero: the latest).
//
// Errors: ENotFound, EUpstreamUnavailable.
func (c *Console) UserDetail(ctx context.Context, id string, before time.Time) (*UserDetail, error) {
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
	if d.Logins, err = c.svc.UserLogins(ctx, id, before, UserLoginsShown); err != nil {
		return nil, err
	}
	if len(d.Logins) >= UserLoginsShown {
		d.Older = d.Logins[len(d.Logins)-1].At
	}
	return d, nil
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
