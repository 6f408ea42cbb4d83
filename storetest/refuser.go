package storetest

import (
	"sync"
	"testing"

	"github.com/miniauth/miniauth"
)

// UserSessionStores are a UserStore and a SessionStore over the same data,
// and the SessionStarter over both.
type UserSessionStores struct {
	Users    miniauth.UserStore
	Sessions miniauth.SessionStore
	Starter  miniauth.SessionStarter
}

// TestDisabledUserRefuser runs the miniauth.DisabledUserRefuser contract on
// a session store that refuses disabled users; open returns fresh, empty
// stores. A store that does not refuse them skips it: the service reads
// the user again after creating a session instead.
func TestDisabledUserRefuser(t *testing.T, open func(t *testing.T) UserSessionStores) {
	st := open(t)
	if r, ok := st.Sessions.(miniauth.DisabledUserRefuser); !ok || !r.RefusesDisabledUsers() {
		t.Skip("this session store does not refuse disabled users")
	}
	c := ctx(t)
	enabled, _ := login(t, c, st.Users, wx("app1", "refuser-enabled", ""))
	disabled, _ := login(t, c, st.Users, wx("app1", "refuser-disabled", ""))
	yes := true
	if _, err := st.Users.UpdateUser(c, disabled.ID, miniauth.UserUpdate{Disabled: &yes, UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, userID string
		want         string // error code, "" for a session
	}{
		{"enabled user", enabled.ID, ""},
		{"disabled user", disabled.ID, miniauth.EUserBlocked},
		{"a user the store does not know", miniauth.NewID(), ""},
	} {
		s := NewSession(tc.userID, base)
		err := st.Sessions.CreateSession(c, s)
		if miniauth.ErrorCode(err) != tc.want {
			t.Errorf("%s: CreateSession: %v, want %q", tc.name, err, tc.want)
		}
		_, err = st.Sessions.SessionByAccessHash(c, s.AccessHash)
		if stored := err == nil; stored != (tc.want == "") {
			t.Errorf("%s: stored %v (%v)", tc.name, stored, err)
		}
	}
	t.Run("racing a disable", func(t *testing.T) { testRefuserRacingDisable(t, st) })
}

// Sessions created while the user is being disabled: each is either
// refused or found by the revocation that follows the disable, so none
// survives.
func testRefuserRacingDisable(t *testing.T, st UserSessionStores) {
	c := ctx(t)
	u, _ := login(t, c, st.Users, wx("app1", "refuser-race", ""))
	const creators = 16
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, creators)
	for i := range creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = st.Sessions.CreateSession(c, NewSession(u.ID, base))
		}()
	}
	close(start)
	yes := true
	if _, err := st.Users.UpdateUser(c, u.ID, miniauth.UserUpdate{Disabled: &yes, UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sessions.RevokeUserSessions(c, u.ID); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && miniauth.ErrorCode(err) != miniauth.EUserBlocked {
			t.Errorf("CreateSession: %v", err)
		}
	}
	live, err := st.Sessions.UserSessions(c, u.ID, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 0 {
		t.Errorf("%d sessions of the disabled user survived", len(live))
	}
}
