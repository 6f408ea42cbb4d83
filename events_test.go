package miniauth

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeLoginEvents keeps batches in memory; block, when set, holds every
// write until it is closed.
type fakeLoginEvents struct {
	mu      sync.Mutex
	batches [][]LoginEvent
	daily   []LoginDailyCount
	block   chan struct{}
	err     error
}

func (f *fakeLoginEvents) RecordLoginEvents(_ context.Context, events []LoginEvent, daily []LoginDailyCount) error {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.batches = append(f.batches, append([]LoginEvent(nil), events...))
	f.daily = append(f.daily, daily...)
	return nil
}

func (f *fakeLoginEvents) events() []LoginEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []LoginEvent
	for _, b := range f.batches {
		all = append(all, b...)
	}
	return all
}

func (f *fakeLoginEvents) UserLoginEvents(_ context.Context, userID string, before time.Time, limit int) ([]LoginEvent, error) {
	var out []LoginEvent
	for _, e := range f.events() {
		if e.UserID == userID && e.At.Before(before) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out[:min(len(out), limit)], nil
}

func (f *fakeLoginEvents) LoginDailyCounts(_ context.Context, from, to string) ([]LoginDailyCount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]LoginDailyCount(nil), f.daily...), nil
}

func (f *fakeLoginEvents) PurgeLoginEvents(context.Context, time.Time) (int, error) { return 0, nil }

func newEventFixture(t *testing.T, store *fakeLoginEvents, eo EventOptions) (*fixture, func()) {
	t.Helper()
	f := newFixture(t)
	eo.Store = store
	f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"wxapp", "ttapp"},
		Platforms: map[string]string{"ttapp": PlatformDouyin}, DefaultApp: "wxapp", Now: f.clock.Now, Events: eo})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.svc.Run(ctx); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return f, stop
}

func TestEventsOfLoginRefreshLogoutAndFailures(t *testing.T) {
	store := &fakeLoginEvents{}
	f, stop := newEventFixture(t, store, EventOptions{FlushInterval: time.Hour})
	ctx := context.Background()
	res := f.login(t, "o1")
	if _, err := f.svc.Login(ctx, LoginRequest{AppID: "ttapp", Code: "nope", IP: "10.0.0.1", UserAgent: "ua\xff"}); ErrorCode(err) != EInvalidCode {
		t.Fatalf("login with a bad code: %v", err)
	}
	ref, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken, IP: "10.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	session, err := f.svc.Verify(ctx, ref.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Logout(ctx, LogoutRequest{Session: session, IP: "10.0.0.3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetUserDisabled(ctx, res.User.ID, true); err != nil {
		t.Fatal(err)
	}
	f.wx.sessions["again"] = &WeChatSession{OpenID: "o1", SessionKey: "k"}
	if _, err := f.svc.Login(ctx, LoginRequest{Code: "again"}); ErrorCode(err) != EUserBlocked {
		t.Fatalf("login of a disabled user: %v", err)
	}
	stop() // the flush interval is an hour: only the shutdown writes them
	at := f.clock.Now()
	uid := res.User.ID
	want := []LoginEvent{
		{At: at, Kind: EventLogin, UserID: uid, AppID: "wxapp", Platform: PlatformWeixin, Result: ResultOK, NewUser: true},
		{At: at, Kind: EventLogin, AppID: "ttapp", Platform: PlatformDouyin, Result: EInvalidCode, IP: "10.0.0.1", UserAgent: "ua\uFFFD"},
		{At: at, Kind: EventRefresh, UserID: uid, AppID: "wxapp", Platform: PlatformWeixin, Result: ResultOK, IP: "10.0.0.2"},
		{At: at, Kind: EventLogout, UserID: uid, AppID: "wxapp", Platform: PlatformWeixin, Result: ResultOK, IP: "10.0.0.3"},
		{At: at, Kind: EventLogin, UserID: uid, AppID: "wxapp", Platform: PlatformWeixin, Result: EUserBlocked},
	}
	if got := store.events(); !reflect.DeepEqual(got, want) {
		t.Fatalf("events:\n got %+v\nwant %+v", got, want)
	}
}

func TestEventsAreBatched(t *testing.T) {
	store := &fakeLoginEvents{}
	f, stop := newEventFixture(t, store, EventOptions{BatchSize: 2, FlushInterval: time.Hour})
	for i := range 5 {
		f.svc.Login(context.Background(), LoginRequest{Code: "bad" + string(rune('a'+i))})
	}
	stop()
	var sizes []int
	for _, b := range store.batches {
		sizes = append(sizes, len(b))
	}
	if !reflect.DeepEqual(sizes, []int{2, 2, 1}) {
		t.Fatalf("batch sizes %v, want [2 2 1]", sizes)
	}
}

func TestEventsDroppedWhenTheQueueIsFull(t *testing.T) {
	store := &fakeLoginEvents{block: make(chan struct{})}
	f, stop := newEventFixture(t, store, EventOptions{QueueSize: 3, BatchSize: 1})
	// The writer holds one event in a blocked write; three wait in the
	// queue; the rest are dropped, and no login waits for them.
	f.svc.Login(context.Background(), LoginRequest{Code: "first"})
	for deadline := time.Now().Add(5 * time.Second); len(f.svc.eventLog.queue) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the writer never took the first event")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		for i := range 9 {
			f.svc.Login(context.Background(), LoginRequest{Code: "bad" + string(rune('a'+i))})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("logins waited for the event writer")
	}
	if got := f.svc.LoginEventsDropped(); got != 6 {
		t.Errorf("dropped %d, want 6", got)
	}
	close(store.block)
	stop()
	if got := len(store.events()); got != 4 {
		t.Errorf("recorded %d, want 4", got)
	}
}

func TestEventsOfARefusedBatchAreCounted(t *testing.T) {
	store := &fakeLoginEvents{err: errors.New("database down")}
	f, stop := newEventFixture(t, store, EventOptions{})
	f.svc.Login(context.Background(), LoginRequest{Code: "bad"})
	stop()
	if got := f.svc.LoginEventsDropped(); got != 1 {
		t.Errorf("dropped %d, want 1", got)
	}
}

func TestDailyCountsAggregateAndSort(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	t0 := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC) // 01:00 on March 2 in Shanghai
	batch := []LoginEvent{
		{At: t0, Kind: EventLogin, AppID: "b", Platform: "qq", Result: ResultOK, NewUser: true},
		{At: t0, Kind: EventLogin, AppID: "a", Platform: "weixin", Result: EInvalidCode},
		{At: t0, Kind: EventLogin, AppID: "b", Platform: "qq", Result: ResultOK},
		{At: t0.Add(-2 * time.Hour), Kind: EventLogin, AppID: "b", Platform: "qq", Result: ResultOK},
	}
	got := DailyCounts(batch, shanghai)
	want := []LoginDailyCount{
		{Day: "2026-03-01", AppID: "b", Platform: "qq", Kind: EventLogin, Result: ResultOK, Count: 1},
		{Day: "2026-03-02", AppID: "a", Platform: "weixin", Kind: EventLogin, Result: EInvalidCode, Count: 1},
		{Day: "2026-03-02", AppID: "b", Platform: "qq", Kind: EventLogin, Result: ResultOK, Count: 2, NewUsers: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("daily counts:\n got %+v\nwant %+v", got, want)
	}
}

func TestDailyLoginStats(t *testing.T) {
	store := &fakeLoginEvents{daily: []LoginDailyCount{
		{Day: "2026-01-01", AppID: "a", Platform: "weixin", Kind: EventLogin, Result: ResultOK, Count: 5, NewUsers: 2},
		{Day: "2026-01-01", AppID: "b", Platform: "qq", Kind: EventLogin, Result: ResultOK, Count: 1, NewUsers: 1},
		{Day: "2026-01-03", AppID: "a", Platform: "weixin", Kind: EventRefresh, Result: ResultOK, Count: 7},
		{Day: "2026-01-03", AppID: "a", Platform: "weixin", Kind: EventLogin, Result: EInvalidCode, Count: 1},
		{Day: "2026-01-03", AppID: "b", Platform: "weixin", Kind: EventRefresh, Result: EInvalidCode, Count: 2},
		{Day: "2026-01-03", AppID: "a", Platform: "weixin", Kind: EventLogin, Result: EUpstreamUnavailable, Count: 4},
		{Day: "2026-01-03", AppID: "a", Platform: "weixin", Kind: EventLogout, Result: ResultOK, Count: 3},
	}}
	f, _ := newEventFixture(t, store, EventOptions{})
	from := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	got, err := f.svc.DailyLoginStats(context.Background(), from, from.AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	want := []DailyStat{
		{Day: "2026-01-01", NewUsers: 3, Logins: 6},
		{Day: "2026-01-02"},
		{Day: "2026-01-03", Refreshes: 7, Logouts: 3, Failures: []FailureStat{
			{Code: EUpstreamUnavailable, Platform: "weixin", Count: 4}, {Code: EInvalidCode, Platform: "weixin", Count: 3}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stats:\n got %+v\nwant %+v", got, want)
	}
	for _, r := range [][2]time.Time{{from, from.AddDate(0, 0, -1)}, {from, from.AddDate(0, 0, MaxDailyStatsDays)}} {
		if _, err := f.svc.DailyLoginStats(context.Background(), r[0], r[1]); ErrorCode(err) != EInvalidRequest {
			t.Errorf("range %v: %v, want invalid_request", r, err)
		}
	}
	if _, err := f.svc.DailyLoginStats(context.Background(), from, from.AddDate(0, 0, MaxDailyStatsDays-1)); err != nil {
		t.Errorf("%d days: %v", MaxDailyStatsDays, err)
	}
}

// A page that would end inside a group of events of one millisecond takes
// the whole group: the next page, asked for the events before that time,
// would skip the rest.
func TestUserLoginsNeverSplitsEventsOfOneTime(t *testing.T) {
	store := &fakeLoginEvents{}
	f, _ := newEventFixture(t, store, EventOptions{})
	res := f.login(t, "o1")
	t0 := f.clock.Now().Add(-time.Hour)
	var kinds []string
	for i, ms := range []int{5, 4, 3, 3, 3, 1} {
		kind := fmt.Sprint("event-", i)
		kinds = append(kinds, kind)
		store.batches = append(store.batches, []LoginEvent{{At: t0.Add(time.Duration(ms) * time.Millisecond), Kind: kind, UserID: res.User.ID}})
	}
	ctx := context.Background()
	var seen []string
	before := time.Time{}
	for page := 0; ; page++ {
		events, err := f.svc.UserLogins(ctx, res.User.ID, before, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			seen = append(seen, e.Kind)
		}
		if page == 0 && len(events) != 5 {
			t.Errorf("the first page of 3: %d events, want 5 (the last three share a time)", len(events))
		}
		if len(events) < 3 || page > 5 {
			break
		}
		before = events[len(events)-1].At
	}
	sort.Strings(seen)
	if fmt.Sprint(seen) != fmt.Sprint(kinds) {
		t.Errorf("the pages held %v, want each of %v once", seen, kinds)
	}
}

func TestUserLoginsChecksLimitAndUser(t *testing.T) {
	f, _ := newEventFixture(t, &fakeLoginEvents{}, EventOptions{})
	res := f.login(t, "o1")
	ctx := context.Background()
	for _, limit := range []int{0, MaxLoginEventsPage + 1} {
		if _, err := f.svc.UserLogins(ctx, res.User.ID, time.Time{}, limit); ErrorCode(err) != EInvalidRequest {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
	if _, err := f.svc.UserLogins(ctx, res.User.ID, time.Time{}, MaxLoginEventsPage); err != nil {
		t.Error(err)
	}
	if _, err := f.svc.UserLogins(ctx, "nobody", time.Time{}, 10); ErrorCode(err) != ENotFound {
		t.Errorf("unknown user: %v", err)
	}
}
