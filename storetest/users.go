// Package storetest is the contract suite that every implementation of
// miniauth.UserStore, miniauth.SessionStore and miniauth.FailureCounter runs, so that they all
// behave the same:
//
//	func TestUsers(t *testing.T) {
//		storetest.TestUserStore(t, func(t *testing.T) miniauth.UserStore { return openFresh(t) })
//	}
//
// open must return a fresh, empty store, closed by the test's cleanup.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// base is a fixed instant with a sub-millisecond part, so that the suite
// sees stores truncate (not round) to milliseconds and keep UTC.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func newUser(app, openid string, at time.Time) *miniauth.User {
	return &miniauth.User{ID: miniauth.NewID(), AppID: app, OpenID: openid, CreatedAt: at, UpdatedAt: at}
}

// identityOf is the WeChat identity whose account u is meant to be.
func identityOf(u *miniauth.User) miniauth.Identity {
	return miniauth.Identity{Platform: miniauth.PlatformWeixin, AppID: u.AppID, OpenID: u.OpenID, UnionID: u.UnionID}
}

// findOrCreate logs u in by its identity in view.
func findOrCreate(c context.Context, s miniauth.UserStore, u *miniauth.User) (*miniauth.User, bool, error) {
	return s.FindOrCreateByIdentity(c, identityOf(u), u)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := miniauth.ErrorCode(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
}

func sameUser(t *testing.T, got, want *miniauth.User) {
	t.Helper()
	w := *want
	w.CreatedAt, w.UpdatedAt = ms(w.CreatedAt), ms(w.UpdatedAt)
	if got.ID != w.ID || got.AppID != w.AppID || got.OpenID != w.OpenID || got.UnionID != w.UnionID ||
		got.Nickname != w.Nickname || got.AvatarURL != w.AvatarURL || got.Phone != w.Phone ||
		got.Disabled != w.Disabled || !got.CreatedAt.Equal(w.CreatedAt) || !got.UpdatedAt.Equal(w.UpdatedAt) {
		t.Fatalf("user\n got %+v\nwant %+v", *got, w)
	}
	if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
		t.Fatalf("times not in UTC: %v, %v", got.CreatedAt, got.UpdatedAt)
	}
	if !hasIdentity(got, miniauth.PlatformWeixin, got.AppID, got.OpenID, got.UnionID) {
		t.Fatalf("the identity in view %s/%s is not among the identities %+v", got.AppID, got.OpenID, got.Identities)
	}
}

func hasIdentity(u *miniauth.User, platform, app, openid, unionid string) bool {
	for _, x := range u.Identities {
		if x.Platform == platform && x.AppID == app && x.OpenID == openid && x.UnionID == unionid {
			return true
		}
	}
	return false
}

// TestUserStore runs the UserStore contract. open returns a fresh, empty store.
func TestUserStore(t *testing.T, open func(t *testing.T) miniauth.UserStore) {
	t.Run("CreateAndFind", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		u := newUser("app1", "openid-1", base)
		u.Nickname, u.AvatarURL, u.Phone = "昵称 😀", "https://example.com/a.png", "13800138000"
		got, created, err := findOrCreate(c, s, u)
		if err != nil || !created {
			t.Fatalf("first FindOrCreateUser: created %v, err %v", created, err)
		}
		sameUser(t, got, u)

		again := newUser("app1", "openid-1", base.Add(time.Hour))
		got2, created, err := findOrCreate(c, s, again)
		if err != nil || created {
			t.Fatalf("second FindOrCreateUser: created %v, err %v", created, err)
		}
		sameUser(t, got2, u) // the stored user, not the one passed in

		byID, err := s.UserByID(c, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameUser(t, byID, u)

		// Same openid in another app is another user; openids are case-sensitive.
		for _, k := range []struct{ app, openid string }{{"app2", "openid-1"}, {"app1", "OPENID-1"}} {
			other, created, err := findOrCreate(c, s, newUser(k.app, k.openid, base))
			if err != nil || !created || other.ID == u.ID {
				t.Fatalf("%s/%s: created %v, id %s, err %v", k.app, k.openid, created, other.ID, err)
			}
		}
	})

	testIdentities(t, open)

	t.Run("UnionIDFilledIn", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		u := newUser("app1", "o-union", base)
		if _, _, err := findOrCreate(c, s, u); err != nil {
			t.Fatal(err)
		}
		later := newUser("app1", "o-union", base.Add(time.Minute))
		later.UnionID = "union-1"
		got, created, err := findOrCreate(c, s, later)
		if err != nil || created || got.UnionID != "union-1" || got.ID != u.ID {
			t.Fatalf("created %v, user %+v, err %v", created, got, err)
		}
		stored, err := s.UserByID(c, u.ID)
		if err != nil || stored.UnionID != "union-1" {
			t.Fatalf("stored unionid %q, err %v", stored.UnionID, err)
		}
		// A unionid, once known, is not replaced.
		other := newUser("app1", "o-union", base.Add(2*time.Minute))
		other.UnionID = "union-2"
		got, _, err = findOrCreate(c, s, other)
		if err != nil || got.UnionID != "union-1" {
			t.Fatalf("unionid %q, err %v", got.UnionID, err)
		}
	})

	t.Run("ConcurrentFirstLogin", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		concurrentFirstLogins(t, 50, "one openid", func(int) (*miniauth.User, bool, error) {
			return findOrCreate(c, s, newUser("app1", "same-openid", base))
		})
		list, err := s.ListUsers(c, miniauth.UserFilter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("%d users stored, err %v", len(list), err)
		}
	})

	t.Run("UserByIDNotFound", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		_, err := s.UserByID(c, miniauth.NewID())
		wantCode(t, err, miniauth.ENotFound)
	})

	t.Run("UpdateUser", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		u := newUser("app1", "o-upd", base)
		u.Nickname = "old"
		if _, _, err := findOrCreate(c, s, u); err != nil {
			t.Fatal(err)
		}
		nick, phone, disabled := "new", "+1 2025550123", true
		at := base.Add(time.Hour + 123456789)
		got, err := s.UpdateUser(c, u.ID, miniauth.UserUpdate{Nickname: &nick, Phone: &phone, Disabled: &disabled, UpdatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		want := *u
		want.Nickname, want.Phone, want.Disabled, want.UpdatedAt = nick, phone, true, at
		sameUser(t, got, &want)
		stored, err := s.UserByID(c, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameUser(t, stored, &want)
		if d, err := s.UserDisabled(c, u.ID); err != nil || !d {
			t.Errorf("UserDisabled of a disabled user: %v, %v", d, err)
		}

		// nil fields are left alone; setting the same values again is fine.
		avatar, enabled := "https://example.com/b.png", false
		got, err = s.UpdateUser(c, u.ID, miniauth.UserUpdate{AvatarURL: &avatar, Disabled: &enabled, UpdatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		want.AvatarURL, want.Disabled = avatar, false
		sameUser(t, got, &want)
		if d, err := s.UserDisabled(c, u.ID); err != nil || d {
			t.Errorf("UserDisabled of an enabled user: %v, %v", d, err)
		}
		got, err = s.UpdateUser(c, u.ID, miniauth.UserUpdate{UpdatedAt: at})
		if err != nil {
			t.Fatalf("update changing nothing: %v", err)
		}
		sameUser(t, got, &want)

		_, err = s.UpdateUser(c, miniauth.NewID(), miniauth.UserUpdate{Nickname: &nick, UpdatedAt: at})
		wantCode(t, err, miniauth.ENotFound)
		_, err = s.UserDisabled(c, miniauth.NewID())
		wantCode(t, err, miniauth.ENotFound)
	})

	t.Run("ListUsers", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		var want []*miniauth.User // newest first
		for i := range 7 {
			app := "appA"
			if i%2 == 1 {
				app = "appB"
			}
			u := newUser(app, fmt.Sprintf("o-%d", i), base.Add(time.Duration(i)*time.Second))
			if _, _, err := findOrCreate(c, s, u); err != nil {
				t.Fatal(err)
			}
			want = append([]*miniauth.User{u}, want...)
		}
		ids := func(us []*miniauth.User) string {
			var out []string
			for _, u := range us {
				out = append(out, u.ID)
			}
			return fmt.Sprint(out)
		}
		filter := func(app string) []*miniauth.User {
			var out []*miniauth.User
			for _, u := range want {
				if u.AppID == app {
					out = append(out, u)
				}
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    miniauth.UserFilter
			want []*miniauth.User
		}{
			{"all", miniauth.UserFilter{}, want},
			{"first page", miniauth.UserFilter{Limit: 3}, want[:3]},
			{"second page", miniauth.UserFilter{Offset: 3, Limit: 3}, want[3:6]},
			{"last page", miniauth.UserFilter{Offset: 6, Limit: 3}, want[6:]},
			{"past the end", miniauth.UserFilter{Offset: 10, Limit: 3}, nil},
			{"app A", miniauth.UserFilter{AppID: "appA"}, filter("appA")},
			{"app B paged", miniauth.UserFilter{AppID: "appB", Offset: 1, Limit: 1}, filter("appB")[1:2]},
			{"unknown app", miniauth.UserFilter{AppID: "nope"}, nil},
		} {
			got, err := s.ListUsers(c, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if ids(got) != ids(tc.want) {
				t.Fatalf("%s: got %s, want %s", tc.name, ids(got), ids(tc.want))
			}
			for i := range got {
				sameUser(t, got[i], tc.want[i])
			}
		}
	})

	t.Run("ListUsersDefaultLimit", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		for i := range 120 {
			if _, _, err := findOrCreate(c, s, newUser("app1", fmt.Sprintf("o-%03d", i), base.Add(time.Duration(i)*time.Millisecond))); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ListUsers(c, miniauth.UserFilter{})
		if err != nil || len(got) == 0 || len(got) > 100 {
			t.Fatalf("default limit gave %d users, err %v", len(got), err)
		}
		got, err = s.ListUsers(c, miniauth.UserFilter{Limit: 1000})
		if err != nil || len(got) > 100 {
			t.Fatalf("limit 1000 gave %d users (at most 100), err %v", len(got), err)
		}
	})

	t.Run("TimesRoundTrip", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		shanghai := time.FixedZone("CST", 8*3600)
		for i, at := range []time.Time{
			base,
			base.In(shanghai),
			time.Date(2038, 1, 19, 3, 14, 8, 999999999, time.UTC), // past 32-bit seconds; .999999 must not round up
			time.Date(2000, 2, 29, 23, 59, 59, 1000000, shanghai),
		} {
			u := newUser("app1", fmt.Sprintf("o-time-%d", i), at)
			got, _, err := findOrCreate(c, s, u)
			if err != nil {
				t.Fatal(err)
			}
			sameUser(t, got, u)
			stored, err := s.UserByID(c, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameUser(t, stored, u)
		}
	})

	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		if err := open(t).Ping(ctx(t)); err != nil {
			t.Fatal(err)
		}
	})
}
