package storetest

import (
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// TestLoginEventStore runs the LoginEventStore contract. open returns a
// fresh, empty store.
func TestLoginEventStore(t *testing.T, open func(t *testing.T) miniauth.LoginEventStore) {
	base := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	event := func(user string, at time.Time, result string) miniauth.LoginEvent {
		return miniauth.LoginEvent{At: at, Kind: miniauth.EventLogin, UserID: user, AppID: "wxapp",
			Platform: miniauth.PlatformWeixin, Result: result, IP: "2001:db8::1", UserAgent: "MicroMessenger 表情 😀"}
	}

	t.Run("History", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		u, other := miniauth.NewID(), miniauth.NewID()
		var mine []miniauth.LoginEvent
		for i := range 5 {
			e := event(u, base.Add(time.Duration(i)*time.Second), miniauth.ResultOK)
			if i == 2 {
				e.Result, e.Kind = miniauth.EInvalidCode, miniauth.EventRefresh
			}
			mine = append(mine, e)
		}
		if err := s.RecordLoginEvents(c, mine[:3], nil); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordLoginEvents(c, append(mine[3:], event(other, base, miniauth.ResultOK)), nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.UserLoginEvents(c, u, base.Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []miniauth.LoginEvent{mine[4], mine[3], mine[2], mine[1], mine[0]}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("history:\n got %+v\nwant %+v", got, want)
		}
		// Paging: before is exclusive, limit bounds the page.
		page, err := s.UserLoginEvents(c, u, mine[3].At, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(page, []miniauth.LoginEvent{mine[2], mine[1]}) {
			t.Fatalf("page before the 4th event: %+v", page)
		}
		none, err := s.UserLoginEvents(c, miniauth.NewID(), base.Add(time.Hour), 10)
		if err != nil || len(none) != 0 {
			t.Fatalf("unknown user: %v %v", none, err)
		}
	})

	t.Run("DailyCountsAddUp", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		row := func(day, result string, n, newUsers int) miniauth.LoginDailyCount {
			return miniauth.LoginDailyCount{Day: day, AppID: "wxapp", Platform: "weixin", Kind: miniauth.EventLogin,
				Result: result, Count: n, NewUsers: newUsers}
		}
		batch := []miniauth.LoginDailyCount{row("2026-01-01", "ok", 3, 1), row("2026-01-02", "ok", 1, 0), row("2026-01-02", "invalid_code", 2, 0)}
		if err := s.RecordLoginEvents(c, nil, batch); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordLoginEvents(c, nil, []miniauth.LoginDailyCount{row("2026-01-02", "ok", 4, 2), row("2026-01-03", "ok", 9, 9)}); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoginDailyCounts(c, "2026-01-01", "2026-01-02")
		if err != nil {
			t.Fatal(err)
		}
		sortDaily(got)
		want := []miniauth.LoginDailyCount{row("2026-01-01", "ok", 3, 1), row("2026-01-02", "invalid_code", 2, 0), row("2026-01-02", "ok", 5, 2)}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("daily:\n got %+v\nwant %+v", got, want)
		}
	})

	t.Run("ConcurrentWritersAddUp", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		const writers, rounds = 6, 5
		keys := []string{"2026-02-01", "2026-02-02", "2026-02-03"}
		var wg sync.WaitGroup
		errs := make(chan error, writers*rounds)
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					var daily []miniauth.LoginDailyCount
					for _, day := range keys {
						daily = append(daily, miniauth.LoginDailyCount{Day: day, AppID: "a", Platform: "qq", Kind: "login", Result: "ok", Count: 1, NewUsers: 1})
					}
					errs <- s.RecordLoginEvents(c, []miniauth.LoginEvent{event("u", base, "ok")}, daily)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.LoginDailyCounts(c, keys[0], keys[2])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(keys) {
			t.Fatalf("%d rows, want %d", len(got), len(keys))
		}
		for _, r := range got {
			if r.Count != writers*rounds || r.NewUsers != writers*rounds {
				t.Errorf("%s: %d events, %d new users, want %d each", r.Day, r.Count, r.NewUsers, writers*rounds)
			}
		}
	})

	t.Run("Purge", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		u := miniauth.NewID()
		old := base.Add(-100 * 24 * time.Hour)
		var batch []miniauth.LoginEvent
		for i := range 10 { // spread over 5 hours: several slices of the purge
			batch = append(batch, event(u, old.Add(time.Duration(i)*30*time.Minute), "ok"))
		}
		fresh := event(u, base, "ok")
		daily := []miniauth.LoginDailyCount{{Day: old.Format("2006-01-02"), AppID: "a", Platform: "weixin", Kind: "login", Result: "ok", Count: 10}}
		if err := s.RecordLoginEvents(c, append(batch, fresh), daily); err != nil {
			t.Fatal(err)
		}
		n, err := s.PurgeLoginEvents(c, base.Add(-90*24*time.Hour))
		if err != nil || n != 10 {
			t.Fatalf("purged %d (%v), want 10", n, err)
		}
		left, err := s.UserLoginEvents(c, u, base.Add(time.Hour), 100)
		if err != nil || !reflect.DeepEqual(left, []miniauth.LoginEvent{fresh}) {
			t.Fatalf("left %+v (%v), want only the fresh event", left, err)
		}
		if n, err := s.PurgeLoginEvents(c, base.Add(-90*24*time.Hour)); err != nil || n != 0 {
			t.Fatalf("second purge: %d %v", n, err)
		}
		kept, err := s.LoginDailyCounts(c, daily[0].Day, daily[0].Day)
		if err != nil || len(kept) != 1 {
			t.Fatalf("the aggregates must outlive the events: %v %v", kept, err)
		}
	})

	t.Run("FullBatch", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		u := miniauth.NewID()
		batch := make([]miniauth.LoginEvent, miniauth.DefaultEventBatchSize)
		daily := make([]miniauth.LoginDailyCount, 0, 50)
		for i := range batch {
			batch[i] = event(u, base.Add(time.Duration(i)*time.Millisecond), "ok")
		}
		for i := range 50 {
			daily = append(daily, miniauth.LoginDailyCount{Day: "2026-01-01", AppID: fmt.Sprint("app", i), Platform: "weixin", Kind: "login", Result: "ok", Count: 1})
		}
		if err := s.RecordLoginEvents(c, batch, daily); err != nil {
			t.Fatal(err)
		}
		got, err := s.UserLoginEvents(c, u, base.Add(time.Hour), miniauth.MaxLoginEventsPage)
		if err != nil || len(got) != miniauth.MaxLoginEventsPage || !got[0].At.Equal(batch[len(batch)-1].At) {
			t.Fatalf("a full batch: %d events, %v", len(got), err)
		}
		if err := s.RecordLoginEvents(c, nil, nil); err != nil {
			t.Fatalf("an empty batch: %v", err)
		}
	})
}

func sortDaily(rows []miniauth.LoginDailyCount) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Day != rows[j].Day {
			return rows[i].Day < rows[j].Day
		}
		return rows[i].Result < rows[j].Result
	})
}
