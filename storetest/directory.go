package storetest

import (
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// DirectoryStores are a UserStore and the UserDirectory over the same data.
type DirectoryStores struct {
	Users     miniauth.UserStore
	Directory miniauth.UserDirectory
}

// TestUserDirectory runs the UserDirectory contract. open returns fresh,
// empty stores.
func TestUserDirectory(t *testing.T, open func(t *testing.T) DirectoryStores) {
	st := open(t)
	c := ctx(t)
	// Eight users a minute apart, newest last; some with unionid, phone,
	// nickname, one disabled, two apps.
	var users []*miniauth.User
	for i := range 8 {
		app := "wxapp-a"
		if i%2 == 1 {
			app = "wxapp-b"
		}
		u := newUser(app, "openid-"+string(rune('a'+i)), base.Add(time.Duration(i)*time.Minute))
		got, _, err := findOrCreate(c, st.Users, u)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, got)
	}
	update := func(i int, upd miniauth.UserUpdate) {
		if _, err := st.Users.UpdateUser(c, users[i].ID, upd); err != nil {
			t.Fatal(err)
		}
	}
	nick := func(s string) *string { return &s }
	yes, no := true, false
	update(1, miniauth.UserUpdate{Nickname: nick("张三丰")})
	update(2, miniauth.UserUpdate{Nickname: nick("张三"), Phone: nick("13800138000")})
	update(3, miniauth.UserUpdate{Nickname: nick("张四")})
	update(4, miniauth.UserUpdate{Nickname: nick("Zed 😀"), Disabled: &yes})
	union := newUser("wxapp-a", "openid-u", base.Add(time.Hour))
	union.UnionID = "union-1"
	if _, _, err := findOrCreate(c, st.Users, union); err != nil {
		t.Fatal(err)
	}
	// Accounts of other platforms, found through each platform and app:
	// one with an openid that is also a WeChat user's, one on the platform
	// that sorts first.
	other := func(id miniauth.Identity, at time.Duration) *miniauth.User {
		u := newUser(id.AppID, id.OpenID, base.Add(at))
		got, _, err := st.Users.FindOrCreateByIdentity(c, id, u)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	qq := other(miniauth.Identity{Platform: miniauth.PlatformQQ, AppID: "1112345678", OpenID: "openid-g", UnionID: "union-q"}, 2*time.Hour)
	alipay := other(miniauth.Identity{Platform: miniauth.PlatformAlipay, AppID: "2021000000000001", OpenID: "2088000000000001"}, 3*time.Hour)

	search := func(q miniauth.UserQuery) []string {
		t.Helper()
		got, err := st.Directory.SearchUsers(c, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		return ids
	}
	want := func(name string, got []string, want ...*miniauth.User) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d users, want %d", name, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i].ID {
				t.Fatalf("%s: user %d is %s, want %s", name, i, got[i], want[i].ID)
			}
		}
	}
	want("by id", search(miniauth.UserQuery{Text: users[5].ID}), users[5])
	want("by openid, in two platforms", search(miniauth.UserQuery{Text: "openid-g"}), qq, users[6])
	want("by openid in the second app", search(miniauth.UserQuery{Text: "openid-h"}), users[7])
	want("by openid in the first platform", search(miniauth.UserQuery{Text: "2088000000000001"}), alipay)
	want("by unionid", search(miniauth.UserQuery{Text: "union-1"}), union)
	want("by unionid in another platform", search(miniauth.UserQuery{Text: "union-q"}), qq)
	want("by phone", search(miniauth.UserQuery{Text: "13800138000"}), users[2])
	want("by nickname prefix, newest first", search(miniauth.UserQuery{Text: "张三"}), users[2], users[1])
	want("by a whole nickname with emoji", search(miniauth.UserQuery{Text: "Zed 😀"}), users[4])
	want("no match", search(miniauth.UserQuery{Text: "openid-"}))
	want("prefix in an app", search(miniauth.UserQuery{Text: "张", AppIDs: []string{"wxapp-b"}}), users[3], users[1])
	want("disabled", search(miniauth.UserQuery{Disabled: &yes}), users[4])
	want("enabled in app a, a page of 2", search(miniauth.UserQuery{AppIDs: []string{"wxapp-a"}, Disabled: &no, Limit: 2}),
		union, users[6])
	want("next page", search(miniauth.UserQuery{AppIDs: []string{"wxapp-a"}, Disabled: &no, Limit: 2,
		AfterCreatedAt: users[6].CreatedAt, AfterID: users[6].ID}), users[2], users[0])
	want("two apps", search(miniauth.UserQuery{AppIDs: []string{"wxapp-a", "wxapp-b"}, Limit: 3}), union, users[7], users[6])

	if n, err := st.Directory.CountUsers(c); n != 11 || err != nil {
		t.Fatalf("count users: %d, %v", n, err)
	}
}
