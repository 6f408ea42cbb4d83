package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/miniauth/miniauth"
)

// TestSessionStarter runs the miniauth.SessionStarter contract; open
// returns fresh, empty stores whose Starter is set.
func TestSessionStarter(t *testing.T, open func(t *testing.T) UserSessionStores) {
	st := open(t)
	c := ctx(t)
	start := func(t *testing.T, id miniauth.Identity) (*miniauth.User, bool, *miniauth.Session) {
		t.Helper()
		s := NewSession("", base)
		u, created, err := st.Starter.StartSession(c, id, &miniauth.User{ID: miniauth.NewID(), CreatedAt: base, UpdatedAt: base}, s)
		if err != nil {
			t.Fatalf("StartSession %+v: %v", id, err)
		}
		if u.AppID != id.AppID || u.OpenID != id.OpenID {
			t.Fatalf("identity in view %s/%s", u.AppID, u.OpenID)
		}
		return u, created, s
	}
	stored := func(t *testing.T, s *miniauth.Session, userID string) {
		t.Helper()
		got, err := st.Sessions.SessionByAccessHash(c, s.AccessHash)
		if err != nil || got.UserID != userID || s.UserID != userID {
			t.Errorf("session stored %+v (%v), given UserID %q, want user %s", got, err, s.UserID, userID)
		}
	}

	t.Run("a new account and its session", func(t *testing.T) {
		u, created, s := start(t, wx("app1", "starter-new", ""))
		if !created {
			t.Error("not created")
		}
		stored(t, s, u.ID)
		if again, err := st.Users.UserByID(c, u.ID); err != nil || again.OpenID != "starter-new" {
			t.Errorf("the account: %+v, %v", again, err)
		}
		t.Run("returning", func(t *testing.T) {
			back, created, s := start(t, wx("app1", "starter-new", ""))
			if created || back.ID != u.ID {
				t.Errorf("created %v, user %s, want %s", created, back.ID, u.ID)
			}
			stored(t, s, u.ID)
		})
	})
	t.Run("a unionid joins its account", func(t *testing.T) {
		u, _, _ := start(t, wx("app1", "starter-u1", "starter-union"))
		joined, created, s := start(t, wx("app2", "starter-u2", "starter-union"))
		if created || joined.ID != u.ID {
			t.Errorf("created %v, user %s, want %s", created, joined.ID, u.ID)
		}
		stored(t, s, u.ID)
		t.Run("returning", func(t *testing.T) {
			back, created, s := start(t, wx("app2", "starter-u2", "starter-union"))
			if created || back.ID != u.ID || back.UnionID != "starter-union" {
				t.Errorf("created %v, user %s (unionid %q), want %s", created, back.ID, back.UnionID, u.ID)
			}
			stored(t, s, u.ID)
		})
	})
	t.Run("a unionid reported later is kept", func(t *testing.T) {
		u, _, _ := start(t, wx("app1", "starter-late", ""))
		back, created, s := start(t, wx("app1", "starter-late", "starter-late-union"))
		if created || back.ID != u.ID || back.UnionID != "starter-late-union" {
			t.Errorf("created %v, user %s (unionid %q), want %s", created, back.ID, back.UnionID, u.ID)
		}
		stored(t, s, u.ID)
		joined, created, _ := start(t, wx("app2", "starter-late-2", "starter-late-union"))
		if created || joined.ID != u.ID {
			t.Errorf("a new identity with that unionid: created %v, user %s, want %s", created, joined.ID, u.ID)
		}
	})
	t.Run("a disabled user gets no session", func(t *testing.T) {
		u, _, _ := start(t, wx("app1", "starter-disabled", ""))
		yes := true
		if _, err := st.Users.UpdateUser(c, u.ID, miniauth.UserUpdate{Disabled: &yes, UpdatedAt: base}); err != nil {
			t.Fatal(err)
		}
		back, created, s := start(t, wx("app1", "starter-disabled", ""))
		if !back.Disabled || created {
			t.Errorf("disabled %v, created %v", back.Disabled, created)
		}
		if _, err := st.Sessions.SessionByAccessHash(c, s.AccessHash); miniauth.ErrorCode(err) != miniauth.ENotFound {
			t.Errorf("a session of the disabled user: %v", err)
		}
	})
	t.Run("the account and its session together or not at all", func(t *testing.T) {
		testStarterAllOrNothing(t, c, st)
	})
	t.Run("concurrent first logins", func(t *testing.T) { testStarterConcurrent(t, c, st) })
}

// A session the store refuses (its access hash is another's) takes the
// new account with it.
func testStarterAllOrNothing(t *testing.T, c context.Context, st UserSessionStores) {
	holder, _ := login(t, c, st.Users, wx("app1", "starter-holder", ""))
	taken := NewSession(holder.ID, base)
	if err := st.Sessions.CreateSession(c, taken); err != nil {
		t.Fatal(err)
	}
	clash := NewSession("", base)
	clash.AccessHash = taken.AccessHash
	id := wx("app1", "starter-clash", "")
	if _, _, err := st.Starter.StartSession(c, id, &miniauth.User{ID: miniauth.NewID(), CreatedAt: base, UpdatedAt: base}, clash); err == nil {
		t.Fatal("a session with another's access hash was stored")
	}
	bad := NewSession("", base)
	bad.ID = ""
	if _, _, err := st.Starter.StartSession(c, id, &miniauth.User{ID: miniauth.NewID(), CreatedAt: base, UpdatedAt: base}, bad); miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
		t.Errorf("a session without id: %v", err)
	}
	if _, created := login(t, c, st.Users, id); !created {
		t.Error("the account of a refused session was kept")
	}
}

// Concurrent first logins of one identity make one account, and each
// gets its session of it.
func testStarterConcurrent(t *testing.T, c context.Context, st UserSessionStores) {
	const logins = 12
	id := wx("app1", "starter-race", "")
	users := make([]*miniauth.User, logins)
	sessions := make([]*miniauth.Session, logins)
	errs := make([]error, logins)
	var wg sync.WaitGroup
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sessions[i] = NewSession("", base)
			users[i], _, errs[i] = st.Starter.StartSession(c, id,
				&miniauth.User{ID: miniauth.NewID(), CreatedAt: base, UpdatedAt: base}, sessions[i])
		}()
	}
	wg.Wait()
	for i := range logins {
		if errs[i] != nil {
			t.Fatalf("login %d: %v", i, errs[i])
		}
		if users[i].ID != users[0].ID {
			t.Errorf("login %d made account %s, login 0 %s", i, users[i].ID, users[0].ID)
		}
	}
	live, err := st.Sessions.UserSessions(c, users[0].ID, base)
	if err != nil || len(live) != logins {
		t.Errorf("%d sessions of the account (%v), want %d", len(live), err, logins)
	}
}
