package storetest_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/migratetest"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/mysql"
	"github.com/miniauth/miniauth/postgres"
	"github.com/miniauth/miniauth/sqlite"
)

// migrated is what the test needs of a store opened (and so migrated) on
// the old database.
type migrated interface {
	miniauth.UserStore
	miniauth.SessionStore
	Close() error
}

// Migration 004 on a database that the previous schema (001 to 003)
// filled: every user keeps its id, profile and sessions, and logs in
// through the WeChat identity it had; users sharing a unionid from before
// are joined by new identities to the oldest of them.
func TestMigrationToIdentities(t *testing.T) {
	for _, e := range []struct {
		engine string
		setup  func(t *testing.T) (raw *sql.DB, open func() (migrated, error))
		time   func(time.Time) any
	}{
		{"sqlite", func(t *testing.T) (*sql.DB, func() (migrated, error)) {
			path := filepath.Join(t.TempDir(), "old.db")
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			return raw, func() (migrated, error) { return sqlite.Open(context.Background(), path, sqlite.Options{}) }
		}, func(v time.Time) any { return v.UnixMilli() }},
		{"postgres", func(t *testing.T) (*sql.DB, func() (migrated, error)) {
			url := testserver.Postgres(t)
			raw, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			return raw, func() (migrated, error) { return postgres.Open(context.Background(), url) }
		}, func(v time.Time) any { return v }},
		{"mysql", func(t *testing.T) (*sql.DB, func() (migrated, error)) {
			url := testserver.MySQL(t)
			cfg, err := mysql.ParseURL(url)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := sql.Open("mysql", cfg.FormatDSN())
			if err != nil {
				t.Fatal(err)
			}
			return raw, func() (migrated, error) { return mysql.Open(context.Background(), url) }
		}, func(v time.Time) any { return v }},
	} {
		t.Run(e.engine, func(t *testing.T) {
			t.Parallel()
			raw, open := e.setup(t)
			defer raw.Close()
			migratetest.ApplyUpTo(t, raw, e.engine, 3)
			testMigrationToIdentities(t, raw, open, e.engine, e.time)
		})
	}
}

func testMigrationToIdentities(t *testing.T, raw *sql.DB, open func() (migrated, error), engine string, tv func(time.Time) any) {
	ctx := context.Background()
	at := time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)
	q := func(query string) string {
		if engine == "postgres" {
			n := 0
			out := []byte{}
			for i := 0; i < len(query); i++ {
				if query[i] == '?' {
					n++
					out = append(out, '$', byte('0'+n))
					continue
				}
				out = append(out, query[i])
			}
			return string(out)
		}
		return query
	}
	// The old schema's users: two share a unionid across apps, one has none.
	old := []struct{ id, app, openid, unionid, nickname string }{
		{miniauth.NewID(), "wxold1", "o1", "U", "first"},
		{miniauth.NewID(), "wxold2", "o2", "U", "second"},
		{miniauth.NewID(), "wxold1", "o3", "", "third"},
	}
	for i, u := range old {
		created := tv(at.Add(time.Duration(i) * time.Hour))
		_, err := raw.Exec(q(`INSERT INTO users (id, app_id, openid, unionid, nickname, avatar_url, phone, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, '', '13800138000', ?, ?, ?)`), u.id, u.app, u.openid, u.unionid, u.nickname, false, created, created)
		if err != nil {
			t.Fatal(err)
		}
	}
	future := tv(time.Now().Add(time.Hour))
	_, err := raw.Exec(q(`INSERT INTO sessions (id, user_id, app_id, openid, session_key, access_hash, refresh_hash, user_agent, ip,
		created_at, last_used_at, access_expires_at, refresh_expires_at) VALUES (?, ?, 'wxold1', 'o1', 'k', 'ah', 'rh', 'ua', '127.0.0.1', ?, ?, ?, ?)`),
		"sess-"+old[0].id, old[0].id, tv(at), tv(at), future, future)
	if err != nil {
		t.Fatal(err)
	}

	db, err := open()
	if err != nil {
		t.Fatalf("open (migrating to 004): %v", err)
	}
	defer db.Close()

	for i, u := range old {
		got, err := db.UserByID(ctx, u.id)
		if err != nil {
			t.Fatal(err)
		}
		want := miniauth.Identity{Platform: "weixin", AppID: u.app, OpenID: u.openid, UnionID: u.unionid, CreatedAt: at.Add(time.Duration(i) * time.Hour)}
		if len(got.Identities) != 1 || got.Identities[0] != want || got.OpenID != u.openid || got.AppID != u.app {
			t.Fatalf("user %d after the migration: %+v, want identity %+v", i, got, want)
		}
		if got.Nickname != u.nickname || got.Phone != "13800138000" || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("user %d lost its profile: %+v", i, got)
		}
		again, created, err := db.FindOrCreateByIdentity(ctx, miniauth.Identity{Platform: "weixin", AppID: u.app, OpenID: u.openid},
			&miniauth.User{ID: miniauth.NewID(), CreatedAt: at, UpdatedAt: at})
		if err != nil || created || again.ID != u.id {
			t.Fatalf("user %d logs in again: created %v, %+v, %v", i, created, again, err)
		}
	}
	// A new identity with the shared unionid joins the oldest account.
	joined, created, err := db.FindOrCreateByIdentity(ctx, miniauth.Identity{Platform: "weixin", AppID: "wxold3", OpenID: "o4", UnionID: "U"},
		&miniauth.User{ID: miniauth.NewID(), CreatedAt: at, UpdatedAt: at})
	if err != nil || created || joined.ID != old[0].id {
		t.Fatalf("new identity with the old unionid: created %v, %+v, %v", created, joined, err)
	}
	list, err := db.ListUsers(ctx, miniauth.UserFilter{AppID: "wxold1"})
	if err != nil || len(list) != 2 || list[0].ID != old[2].id || list[1].ID != old[0].id {
		t.Fatalf("users of wxold1: %+v, %v", list, err)
	}
	s, err := db.SessionByAccessHash(ctx, "ah")
	if err != nil || s.UserID != old[0].id {
		t.Fatalf("the old session: %+v, %v", s, err)
	}
	if ss, err := db.UserSessions(ctx, old[0].id, time.Now()); err != nil || len(ss) != 1 {
		t.Fatalf("the old user's sessions: %d, %v", len(ss), err)
	}
}
