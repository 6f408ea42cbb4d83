package miniauth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// stalled is a store that never answers: every call waits for its context
// to end and then fails as a driver does, with an error of its own that
// says nothing about why.
type stalled struct{ deadlines chan time.Duration }

func (s stalled) wait(ctx context.Context) error {
	if dl, ok := ctx.Deadline(); ok {
		select {
		case s.deadlines <- time.Until(dl):
		default:
		}
	}
	<-ctx.Done()
	return WrapError(EInternal, "database error", errors.New("driver: bad connection"))
}

func (s stalled) StartSession(ctx context.Context, _ Identity, _ *User, _ *Session) (*User, bool, error) {
	return nil, false, s.wait(ctx)
}
func (s stalled) LinkIdentity(ctx context.Context, _ string, _ Identity) (*User, error) {
	return nil, s.wait(ctx)
}
func (s stalled) UnlinkIdentity(ctx context.Context, _, _ string) (*Identity, error) {
	return nil, s.wait(ctx)
}
func (s stalled) FindOrCreateByIdentity(ctx context.Context, _ Identity, _ *User) (*User, bool, error) {
	return nil, false, s.wait(ctx)
}
func (s stalled) UserByID(ctx context.Context, _ string) (*User, error)    { return nil, s.wait(ctx) }
func (s stalled) UserDisabled(ctx context.Context, _ string) (bool, error) { return false, s.wait(ctx) }
func (s stalled) UpdateUser(ctx context.Context, _ string, _ UserUpdate) (*User, error) {
	return nil, s.wait(ctx)
}
func (s stalled) ListUsers(ctx context.Context, _ UserFilter) ([]*User, error) {
	return nil, s.wait(ctx)
}
func (s stalled) Ping(ctx context.Context) error                      { return s.wait(ctx) }
func (s stalled) CreateSession(ctx context.Context, _ *Session) error { return s.wait(ctx) }
func (s stalled) SessionByAccessHash(ctx context.Context, _ string) (*Session, error) {
	return nil, s.wait(ctx)
}
func (s stalled) RotateRefresh(ctx context.Context, _ string, _ Rotation) (*Session, error) {
	return nil, s.wait(ctx)
}
func (s stalled) RevokeSession(ctx context.Context, _ string) error { return s.wait(ctx) }
func (s stalled) RevokeUserSessions(ctx context.Context, _ string) ([]string, error) {
	return nil, s.wait(ctx)
}
func (s stalled) UserSessions(ctx context.Context, _ string, _ time.Time) ([]*Session, error) {
	return nil, s.wait(ctx)
}
func (s stalled) TouchSessions(ctx context.Context, _ time.Time, _ []string) error {
	return s.wait(ctx)
}
func (s stalled) DeleteExpired(ctx context.Context, _ time.Time) (int, error) {
	return 0, s.wait(ctx)
}
func (s stalled) PublishSessionChanged(ctx context.Context, _ ...string) error { return s.wait(ctx) }
func (s stalled) SubscribeSessionChanged(ctx context.Context, _ func(string), _ func()) {
	<-ctx.Done()
}
func (s stalled) LoadAccessToken(ctx context.Context, _ string) (AccessToken, error) {
	return AccessToken{}, s.wait(ctx)
}
func (s stalled) LockAccessToken(ctx context.Context, _ string, _ time.Duration) (int64, bool, error) {
	return 0, false, s.wait(ctx)
}
func (s stalled) SaveAccessToken(ctx context.Context, _ string, _ int64, _ AccessToken) error {
	return s.wait(ctx)
}
func (s stalled) UnlockAccessToken(ctx context.Context, _ string, _ int64) error { return s.wait(ctx) }
func (s stalled) ReserveForceRefresh(ctx context.Context, _ string, _ time.Time, _ time.Duration, _ int) (bool, error) {
	return false, s.wait(ctx)
}

// storeCalls makes one call of every bounded method of the stores under d.
func storeCalls(d Deadline, s stalled) map[string]func(context.Context) error {
	users, sessions, events, tokens := d.Users(s), d.Sessions(s), d.Events(s), d.AccessTokens(s)
	now := time.Now()
	return map[string]func(context.Context) error{
		"FindOrCreateByIdentity": func(ctx context.Context) error {
			_, _, err := users.FindOrCreateByIdentity(ctx, Identity{}, &User{})
			return err
		},
		"StartSession": func(ctx context.Context) error {
			_, _, err := d.Starter(s).StartSession(ctx, Identity{}, &User{}, &Session{})
			return err
		},
		"LinkIdentity":   func(ctx context.Context) error { _, err := users.LinkIdentity(ctx, "", Identity{}); return err },
		"UnlinkIdentity": func(ctx context.Context) error { _, err := users.UnlinkIdentity(ctx, "", ""); return err },
		"UserByID":       func(ctx context.Context) error { _, err := users.UserByID(ctx, "u"); return err },
		"UserDisabled":   func(ctx context.Context) error { _, err := users.UserDisabled(ctx, "u"); return err },
		"UpdateUser":     func(ctx context.Context) error { _, err := users.UpdateUser(ctx, "u", UserUpdate{}); return err },
		"ListUsers":      func(ctx context.Context) error { _, err := users.ListUsers(ctx, UserFilter{}); return err },
		"users.Ping":     users.Ping,
		"CreateSession":  func(ctx context.Context) error { return sessions.CreateSession(ctx, &Session{}) },
		"SessionByAccessHash": func(ctx context.Context) error {
			_, err := sessions.SessionByAccessHash(ctx, "h")
			return err
		},
		"RotateRefresh": func(ctx context.Context) error {
			_, err := sessions.RotateRefresh(ctx, "h", Rotation{})
			return err
		},
		"RevokeSession":      func(ctx context.Context) error { return sessions.RevokeSession(ctx, "s") },
		"RevokeUserSessions": func(ctx context.Context) error { _, err := sessions.RevokeUserSessions(ctx, "u"); return err },
		"UserSessions":       func(ctx context.Context) error { _, err := sessions.UserSessions(ctx, "u", time.Time{}); return err },
		"TouchSessions":      func(ctx context.Context) error { return sessions.TouchSessions(ctx, now, []string{"s"}) },
		"sessions.Ping":      sessions.Ping,
		"Publish":            func(ctx context.Context) error { return events.PublishSessionChanged(ctx, "s") },
		"LoadAccessToken":    func(ctx context.Context) error { _, err := tokens.LoadAccessToken(ctx, "a"); return err },
		"LockAccessToken": func(ctx context.Context) error {
			_, _, err := tokens.LockAccessToken(ctx, "a", time.Second)
			return err
		},
		"SaveAccessToken":   func(ctx context.Context) error { return tokens.SaveAccessToken(ctx, "a", 1, AccessToken{}) },
		"UnlockAccessToken": func(ctx context.Context) error { return tokens.UnlockAccessToken(ctx, "a", 1) },
		"ReserveForceRefresh": func(ctx context.Context) error {
			_, err := tokens.ReserveForceRefresh(ctx, "a", now, time.Second, 1)
			return err
		},
		"Ping": d.Ping(s.Ping),
	}
}

// Every call to a stalled store ends at its deadline with
// upstream_unavailable, naming the store; the store saw the deadline.
func TestDeadlineBoundsEveryCall(t *testing.T) {
	const timeout = 20 * time.Millisecond
	s := stalled{deadlines: make(chan time.Duration, 1)}
	d := Deadline{Store: "database", Timeout: timeout}
	for name, call := range storeCalls(d, s) {
		err := call(context.Background())
		if ErrorCode(err) != EUpstreamUnavailable || !strings.Contains(ErrorMessage(err), "database did not answer within 20ms") {
			t.Errorf("%s: %v (code %s)", name, err, ErrorCode(err))
		}
		if got := <-s.deadlines; got > timeout {
			t.Errorf("%s: the store's context ends in %v, after the deadline %v", name, got, timeout)
		}
	}
}

// A client that went away is no outage: the call answers ECanceled.
func TestDeadlineCallerGone(t *testing.T) {
	s := stalled{deadlines: make(chan time.Duration, 1)}
	d := Deadline{Store: "redis", Timeout: time.Hour}
	for name, call := range storeCalls(d, s) {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-s.deadlines; cancel() }()
		if err := call(ctx); ErrorCode(err) != ECanceled {
			t.Errorf("%s: %v (code %s), want %s", name, err, ErrorCode(err), ECanceled)
		}
		cancel()
	}
}

// A caller's own deadline, shorter than the store's, also ends the call as
// upstream_unavailable.
func TestDeadlineCallerDeadline(t *testing.T) {
	s := stalled{deadlines: make(chan time.Duration, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := Deadline{Store: "redis", Timeout: time.Hour}.Users(s).UserByID(ctx, "u")
	if ErrorCode(err) != EUpstreamUnavailable || !strings.Contains(ErrorMessage(err), "redis did not answer in time") {
		t.Fatalf("%v (code %s)", err, ErrorCode(err))
	}
}

// answering is a store that answers err, after its context ended when late
// is set.
type answering struct {
	UserStore
	err  error
	late bool
}

func (a answering) UserByID(ctx context.Context, _ string) (*User, error) {
	if a.late {
		<-ctx.Done()
	}
	return nil, a.err
}

// The store's own answers pass unchanged: an error within the deadline
// keeps its code, and an answer that is no failure (not found) keeps it
// even when it came as the deadline passed.
func TestDeadlineKeepsAnswers(t *testing.T) {
	d := Deadline{Store: "database", Timeout: 10 * time.Millisecond}
	internal := WrapError(EInternal, "database error", errors.New("syntax error"))
	for _, tc := range []struct {
		store answering
		want  error
	}{
		{answering{err: internal}, internal},
		{answering{err: Errorf(ENotFound, "no user"), late: true}, nil},
		{answering{err: nil, late: true}, nil},
	} {
		_, err := d.Users(tc.store).UserByID(context.Background(), "u")
		if err != tc.store.err {
			t.Errorf("store answered %v, the call %v", tc.store.err, err)
		}
	}
}

// DeleteExpired runs in the background with a backlog to delete: it gets
// at least purgeTimeout, however short the request deadline.
func TestDeadlinePurgeGetsLonger(t *testing.T) {
	s := stalled{deadlines: make(chan time.Duration, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() {
		_, err := Deadline{Store: "database", Timeout: time.Millisecond}.Sessions(s).DeleteExpired(ctx, time.Now())
		done <- err
	}()
	if got := <-s.deadlines; got < purgeTimeout-time.Second || got > purgeTimeout {
		t.Errorf("DeleteExpired's deadline is %v away, want about %v", got, purgeTimeout)
	}
	cancel()
	<-done
}

// The default applies to a zero timeout.
func TestDeadlineDefault(t *testing.T) {
	if got := (Deadline{}).timeout(); got != DefaultDBTimeout {
		t.Fatalf("zero timeout means %v, want %v", got, DefaultDBTimeout)
	}
}
