package sqlstore

import (
	"context"
	"time"

	"github.com/miniauth/miniauth"
)

var _ miniauth.LoginEventStore = (*Store)(nil)

const (
	loginEventColumns = `at, user_id, app_id, platform, kind, result, ip, user_agent`
	loginDailyColumns = `day, app_id, platform, kind, result, events, new_users`

	// The user's history walks the (user_id, at) index backwards; id
	// orders events of one millisecond.
	qUserLoginEvents = `SELECT ` + loginEventColumns + ` FROM login_events
		WHERE user_id = ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?`
	qLoginDaily        = `SELECT ` + loginDailyColumns + ` FROM login_daily WHERE day >= ? AND day <= ?`
	qOldestLoginEvent  = `SELECT MIN(at) FROM login_events`
	qDeleteLoginEvents = `DELETE FROM login_events WHERE at < ?`
)

// purgeSlice is how much of the event history one DELETE removes: a slice
// of time rather than the whole backlog, so that no statement holds locks
// (or, in SQLite, the one writer) for long. With 10 million events over 90
// days an hour is about 5,000 rows.
const purgeSlice = time.Hour

// RecordLoginEvents inserts the events and adds the daily counts, in one
// transaction, with multi-row statements of at most bulkRows rows: the
// writer's batches take one statement each, and a seed's batches of tens
// of thousands stay under every engine's limit on bound parameters.
func (s *Store) RecordLoginEvents(ctx context.Context, events []miniauth.LoginEvent, daily []miniauth.LoginDailyCount) error {
	if len(events) == 0 && len(daily) == 0 {
		return nil
	}
	return s.inTx(ctx, "record login events", func(tx *Tx) error {
		err := insertRows(tx, "login_events", loginEventColumns, 8, len(events), func(i int, args []any) []any {
			e := events[i]
			return append(args, s.t(e.At), e.UserID, e.AppID, e.Platform, e.Kind, e.Result, e.IP, e.UserAgent)
		})
		if err != nil {
			return err
		}
		args := make([]any, 0, min(len(daily), bulkRows)*7)
		for start := 0; start < len(daily); start += bulkRows {
			args = args[:0]
			end := min(len(daily), start+bulkRows)
			for _, c := range daily[start:end] {
				args = append(args, c.Day, c.AppID, c.Platform, c.Kind, c.Result, c.Count, c.NewUsers)
			}
			q := `INSERT INTO login_daily (` + loginDailyColumns + `) VALUES ` + placeholders(end-start, 7) + ` ` + s.d.AddLoginDaily
			if _, err := tx.tx.ExecContext(tx.ctx, s.d.rebind(q), args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// UserLoginEvents returns the user's events before before, newest first.
func (s *Store) UserLoginEvents(ctx context.Context, userID string, before time.Time, limit int) ([]miniauth.LoginEvent, error) {
	rows, err := s.query(ctx, qUserLoginEvents, userID, s.t(before), limit)
	if err != nil {
		return nil, s.wrap("user login events", err)
	}
	defer rows.Close()
	var out []miniauth.LoginEvent
	for rows.Next() {
		var e miniauth.LoginEvent
		if err := rows.Scan(msTime{&e.At}, &e.UserID, &e.AppID, &e.Platform, &e.Kind, &e.Result, &e.IP, &e.UserAgent); err != nil {
			return nil, s.wrap("user login events", err)
		}
		out = append(out, e)
	}
	return out, s.wrap("user login events", rows.Err())
}

// LoginDailyCounts returns the aggregate rows of the days from fromDay to
// toDay, both included.
func (s *Store) LoginDailyCounts(ctx context.Context, fromDay, toDay string) ([]miniauth.LoginDailyCount, error) {
	rows, err := s.query(ctx, qLoginDaily, fromDay, toDay)
	if err != nil {
		return nil, s.wrap("login daily counts", err)
	}
	defer rows.Close()
	var out []miniauth.LoginDailyCount
	for rows.Next() {
		var c miniauth.LoginDailyCount
		if err := rows.Scan(&c.Day, &c.AppID, &c.Platform, &c.Kind, &c.Result, &c.Count, &c.NewUsers); err != nil {
			return nil, s.wrap("login daily counts", err)
		}
		out = append(out, c)
	}
	return out, s.wrap("login daily counts", rows.Err())
}

// PurgeLoginEvents deletes the events before before, a slice of time at a
// time from the oldest.
func (s *Store) PurgeLoginEvents(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		var oldest time.Time
		if err := s.queryRow(ctx, qOldestLoginEvent).Scan(nullMSTime{&oldest}); err != nil {
			return total, s.wrap("purge login events", err)
		}
		if oldest.IsZero() || !oldest.Before(before) {
			return total, nil
		}
		upTo := oldest.Add(purgeSlice)
		if upTo.After(before) {
			upTo = before
		}
		res, err := s.execW(ctx, qDeleteLoginEvents, s.t(upTo))
		if err != nil {
			return total, s.wrap("purge login events", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, s.wrap("purge login events", err)
		}
		total += int(n)
	}
}
