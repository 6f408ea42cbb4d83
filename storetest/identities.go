package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

func wx(app, openid, unionid string) miniauth.Identity {
	return miniauth.Identity{Platform: miniauth.PlatformWeixin, AppID: app, OpenID: openid, UnionID: unionid}
}

// login is a login of the identity at base: its account and whether it is new.
func login(t *testing.T, c context.Context, s miniauth.UserStore, id miniauth.Identity) (*miniauth.User, bool) {
	t.Helper()
	u, created, err := s.FindOrCreateByIdentity(c, id, &miniauth.User{ID: miniauth.NewID(), CreatedAt: base, UpdatedAt: base})
	if err != nil {
		t.Fatalf("login %+v: %v", id, err)
	}
	if u.AppID != id.AppID || u.OpenID != id.OpenID {
		t.Fatalf("login %s/%s: identity in view %s/%s", id.AppID, id.OpenID, u.AppID, u.OpenID)
	}
	return u, created
}

// keys lists an account's identities as platform/app/openid/unionid, as stored.
func keys(t *testing.T, c context.Context, s miniauth.UserStore, userID string) []string {
	t.Helper()
	u, err := s.UserByID(c, userID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range u.Identities {
		out = append(out, x.Platform+"/"+x.AppID+"/"+x.OpenID+"/"+x.UnionID)
	}
	return out
}

func wantKeys(t *testing.T, c context.Context, s miniauth.UserStore, userID string, want ...string) {
	t.Helper()
	if got := keys(t, c, s, userID); !slices.Equal(got, want) {
		t.Fatalf("identities of %s:\n got %v\nwant %v", userID, got, want)
	}
}

func testIdentities(t *testing.T, open func(t *testing.T) miniauth.UserStore) {
	t.Run("UnionIDJoinsWithinAPlatform", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		a, created := login(t, c, s, wx("app1", "o1", "U"))
		if !created {
			t.Fatal("first login: not created")
		}
		b, created := login(t, c, s, wx("app2", "o2", "U"))
		if created || b.ID != a.ID || b.UnionID != "U" {
			t.Fatalf("same unionid in another app: created %v, account %s (want %s)", created, b.ID, a.ID)
		}
		// Another platform's unionid space is its own.
		q, created := login(t, c, s, miniauth.Identity{Platform: miniauth.PlatformQQ, AppID: "qq1", OpenID: "o3", UnionID: "U"})
		if !created || q.ID == a.ID {
			t.Fatalf("same unionid on another platform: created %v, account %s", created, q.ID)
		}
		wantKeys(t, c, s, a.ID, "weixin/app1/o1/U", "weixin/app2/o2/U")
		// The identity in view is the one logged in with, oldest first in the list.
		if b.OpenID != "o2" || len(b.Identities) != 2 || b.Identities[0].OpenID != "o1" {
			t.Fatalf("answer: %+v", b)
		}
	})

	t.Run("UnionIDAppearingLaterJoins", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		a, _ := login(t, c, s, wx("app1", "o1", ""))
		if other, created := login(t, c, s, wx("app2", "o2", "")); !created || other.ID == a.ID {
			t.Fatal("no unionid: another account")
		}
		again, created := login(t, c, s, wx("app1", "o1", "U"))
		if created || again.ID != a.ID || again.UnionID != "U" {
			t.Fatalf("unionid filled in: created %v, %+v", created, again)
		}
		joined, created := login(t, c, s, wx("app3", "o3", "U"))
		if created || joined.ID != a.ID {
			t.Fatalf("from then on it joins: created %v, account %s", created, joined.ID)
		}
		// A unionid once known stays.
		login(t, c, s, wx("app1", "o1", "V"))
		wantKeys(t, c, s, a.ID, "weixin/app1/o1/U", "weixin/app3/o3/U")
	})

	t.Run("ConcurrentFirstLoginsWithOneUnionID", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		const n = 50
		account := concurrentFirstLogins(t, n, "one unionid", func(i int) (*miniauth.User, bool, error) {
			id := wx(fmt.Sprintf("app-%d", i%5), fmt.Sprintf("o-%d", i), "same-union")
			return s.FindOrCreateByIdentity(c, id, &miniauth.User{ID: miniauth.NewID(), CreatedAt: base, UpdatedAt: base})
		})
		if got := keys(t, c, s, account.ID); len(got) != n {
			t.Fatalf("%d identities on the account, want %d", len(got), n)
		}
		if list, err := s.ListUsers(c, miniauth.UserFilter{}); err != nil || len(list) != 1 {
			t.Fatalf("%d accounts stored, err %v", len(list), err)
		}
	})

	t.Run("Link", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		a, _ := login(t, c, s, wx("app1", "oa", ""))
		b, _ := login(t, c, s, wx("app2", "ob", ""))
		at := base.Add(time.Minute)
		linked := wx("app3", "oa3", "V")
		linked.CreatedAt = at
		u, err := s.LinkIdentity(c, a.ID, linked)
		if err != nil || !hasIdentity(u, "weixin", "app3", "oa3", "V") {
			t.Fatalf("link: %+v, %v", u, err)
		}
		if _, err := s.LinkIdentity(c, a.ID, linked); err != nil {
			t.Fatalf("linking it again: %v", err)
		}
		// A unionid that came with a link joins later logins too.
		if j, created := login(t, c, s, wx("app4", "oa4", "V")); created || j.ID != a.ID {
			t.Fatalf("login with the linked unionid: created %v, account %s", created, j.ID)
		}
		before := keys(t, c, s, a.ID)
		beforeB := keys(t, c, s, b.ID)
		for name, id := range map[string]miniauth.Identity{
			"another account's identity":      wx("app2", "ob", ""),
			"a second identity in one app":    wx("app1", "oa-other", ""),
			"another account's, with unionid": wx("app2", "ob", "V"),
		} {
			_, err := s.LinkIdentity(c, a.ID, id)
			wantCode(t, err, miniauth.EConflict)
			if !slices.Equal(keys(t, c, s, a.ID), before) || !slices.Equal(keys(t, c, s, b.ID), beforeB) {
				t.Fatalf("%s: a refused link changed the accounts", name)
			}
		}
		_, err = s.LinkIdentity(c, miniauth.NewID(), wx("app9", "o9", ""))
		wantCode(t, err, miniauth.ENotFound)
		// Listing by app finds an account through a linked identity.
		list, err := s.ListUsers(c, miniauth.UserFilter{AppID: "app3"})
		if err != nil || len(list) != 1 || list[0].ID != a.ID || len(list[0].Identities) != 3 {
			t.Fatalf("users of app3: %+v, %v", list, err)
		}
	})

	t.Run("Unlink", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		a, _ := login(t, c, s, wx("app1", "o1", "U"))
		login(t, c, s, wx("app2", "o2", "U"))
		_, err := s.UnlinkIdentity(c, a.ID, "app9")
		wantCode(t, err, miniauth.ENotFound)
		gone, err := s.UnlinkIdentity(c, a.ID, "app2")
		if err != nil || gone.OpenID != "o2" || gone.UnionID != "U" {
			t.Fatalf("unlink: %+v, %v", gone, err)
		}
		wantKeys(t, c, s, a.ID, "weixin/app1/o1/U")
		_, err = s.UnlinkIdentity(c, a.ID, "app1")
		wantCode(t, err, miniauth.EConflict)
		wantKeys(t, c, s, a.ID, "weixin/app1/o1/U")
		// The account still holds the unionid, so the identity joins again.
		if again, created := login(t, c, s, wx("app2", "o2", "U")); created || again.ID != a.ID {
			t.Fatalf("login after unlink: created %v, account %s", created, again.ID)
		}
		_, err = s.UnlinkIdentity(c, miniauth.NewID(), "app1")
		wantCode(t, err, miniauth.ENotFound)
	})

	t.Run("UnlinkedIdentityLogsInAlone", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		a, _ := login(t, c, s, wx("app1", "o1", ""))
		if _, err := s.LinkIdentity(c, a.ID, wx("app2", "o2", "W")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UnlinkIdentity(c, a.ID, "app2"); err != nil {
			t.Fatal(err)
		}
		// Nothing on a holds W any more: the identity makes its own account.
		b, created := login(t, c, s, wx("app2", "o2", "W"))
		if !created || b.ID == a.ID {
			t.Fatalf("created %v, account %s", created, b.ID)
		}
	})

	t.Run("ConcurrentUnlinksKeepOne", func(t *testing.T) {
		t.Parallel()
		s, c := open(t), ctx(t)
		a, _ := login(t, c, s, wx("app1", "o1", "U"))
		login(t, c, s, wx("app2", "o2", "U"))
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, app := range []string{"app1", "app2"} {
			wg.Go(func() { _, errs[i] = s.UnlinkIdentity(c, a.ID, app) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				wantCode(t, err, miniauth.EConflict)
			}
		}
		if ok != 1 || len(keys(t, c, s, a.ID)) != 1 {
			t.Fatalf("%d unlinks went through, %d identities left (%v)", ok, len(keys(t, c, s, a.ID)), errs)
		}
	})
}

// concurrentFirstLogins runs n first logins at once, login(i) the i-th,
// and checks that they all answer one account, created by exactly one of
// them; it returns that account.
func concurrentFirstLogins(t *testing.T, n int, what string, login func(i int) (*miniauth.User, bool, error)) *miniauth.User {
	t.Helper()
	var wg sync.WaitGroup
	users := make([]*miniauth.User, n)
	created := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			users[i], created[i], errs[i] = login(i)
		})
	}
	close(start)
	wg.Wait()
	nCreated := 0
	for i := range users {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if users[i].ID != users[0].ID {
			t.Fatalf("two accounts for %s: %s and %s", what, users[0].ID, users[i].ID)
		}
		if created[i] {
			nCreated++
		}
	}
	if nCreated != 1 {
		t.Fatalf("%d calls said created, want 1", nCreated)
	}
	return users[0]
}
