package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/migratetest"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/sqlite"
	"github.com/miniauth/miniauth/wxsim"
)

// tokenLike makes a token of the form from before tokens began with their
// time: 256 random bits alone, stored as their whole SHA-256.
func tokenLike(prefix string) string {
	var b [32]byte
	rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// A session kept in Redis by a deployment on the previous schema (001 to
// 003) still verifies and refreshes once a node has migrated the database
// to identities: sessions carry the user's id, which the migration keeps.
func TestRedisSessionsSurviveTheIdentitiesMigration(t *testing.T) {
	ctx := context.Background()
	pgURL, redisURL := testserver.Postgres(t), testserver.NewRedis(t).URL
	raw, err := sql.Open("pgx", pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	migratetest.ApplyUpTo(t, raw, "postgres", 3)
	userID, now := miniauth.NewID(), time.Now().UTC()
	_, err = raw.Exec(`INSERT INTO users (id, app_id, openid, unionid, nickname, avatar_url, phone, disabled, created_at, updated_at)
		VALUES ($1, $2, 'before-openid', '', 'before', '', '', false, $3, $3)`, userID, clusterApp, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := redis.Open(ctx, redisURL, redis.Options{AllowWithoutAOF: true})
	if err != nil {
		t.Fatal(err)
	}
	access, refresh := tokenLike("mat_"), tokenLike("mrt_")
	err = rc.Sessions().CreateSession(ctx, &miniauth.Session{
		ID: miniauth.NewID(), UserID: userID, AppID: clusterApp, OpenID: "before-openid", SessionKey: "k",
		AccessHash: miniauth.HashToken(access), RefreshHash: miniauth.HashToken(refresh),
		CreatedAt: now.Add(-time.Minute), LastUsedAt: now.Add(-time.Minute), IssuedAt: now.Add(-time.Minute),
		AccessExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(24 * time.Hour),
	})
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}

	sim := wxsim.New(wxsim.Options{Apps: map[string]string{clusterApp: clusterSecret}})
	wx := httptest.NewServer(sim)
	defer wx.Close()
	n := startTestNode(t, "MINIAUTH_DB_URL="+pgURL, "MINIAUTH_REDIS_URL="+redisURL, "MINIAUTH_WECHAT_APPID="+clusterApp,
		"MINIAUTH_WECHAT_SECRET="+clusterSecret, "MINIAUTH_WECHAT_BASE_URL="+wx.URL)
	v := call(t, "GET", n.URL+"/api/v1/auth/verify", access, nil)
	if v.status != 200 || v.header.Get("X-User-Id") != userID || v.header.Get("X-Openid") != "before-openid" {
		t.Fatalf("verify after the migration: %d %s", v.status, v.body)
	}
	me := call(t, "GET", n.URL+"/api/v1/me", access, nil)
	if me.status != 200 || me.json(t)["nickname"] != "before" {
		t.Fatalf("/me after the migration: %d %s", me.status, me.body)
	}
	wantIdentities(t, me.json(t), weixin(clusterApp, "before-openid", ""))
	r := decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}))
	if r.User.ID != userID || r.User.OpenID != "before-openid" {
		t.Fatalf("refresh after the migration: %+v", r.User)
	}
	if v := call(t, "GET", n.URL+"/api/v1/auth/verify", r.AccessToken, nil); v.status != 200 {
		t.Fatalf("the refreshed token: %d %s", v.status, v.body)
	}
	// And the same person logging in again finds the same account.
	code, _, _ := sim.LoginCode(clusterApp, "before-openid", "")
	again := decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}))
	if *again.NewUser || again.User.ID != userID {
		t.Fatalf("login after the migration: new_user %v, %+v", *again.NewUser, again.User)
	}
}

// A session whose tokens are of the old form (256 random bits alone, from
// before tokens began with their time) keeps working: verify and /me
// accept its access token, its refresh token rotates to tokens of the new
// form, and after that the old ones are refused.
func TestTokensOfTheOldFormStillWork(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "miniauth.db")
	n := startTestNode(t, "MINIAUTH_DB_URL=sqlite://"+path)
	user := n.login(t, "").User
	old, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	access, refresh := tokenLike("mat_"), tokenLike("mrt_")
	now := time.Now()
	if err := old.CreateSession(ctx, &miniauth.Session{
		ID: miniauth.NewID(), UserID: user.ID, AppID: wxsim.DevAppID, OpenID: user.OpenID, SessionKey: "k",
		AccessHash: miniauth.HashToken(access), RefreshHash: miniauth.HashToken(refresh),
		CreatedAt: now, LastUsedAt: now, IssuedAt: now,
		AccessExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(24 * time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	if v := call(t, "GET", n.URL+"/api/v1/auth/verify", access, nil); v.status != 200 || v.header.Get("X-User-Id") != user.ID {
		t.Fatalf("verify: %d %s", v.status, v.body)
	}
	if me := call(t, "GET", n.URL+"/api/v1/me", access, nil); me.status != 200 {
		t.Fatalf("/me: %d %s", me.status, me.body)
	}
	r := decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}))
	opaque, _, _ := strings.Cut(r.AccessToken, ".") // the sealed claims follow
	if len(opaque) != len(r.RefreshToken) || len(opaque) == len(access) {
		t.Errorf("the refresh handed out tokens of %d and %d characters", len(opaque), len(r.RefreshToken))
	}
	if v := call(t, "GET", n.URL+"/api/v1/auth/verify", r.AccessToken, nil); v.status != 200 {
		t.Fatalf("the new access token: %d %s", v.status, v.body)
	}
	if v := call(t, "GET", n.URL+"/api/v1/auth/verify", access, nil); v.status != 401 {
		t.Errorf("the replaced access token: %d", v.status)
	}
	if v := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}); v.status != 401 {
		t.Errorf("the replaced refresh token: %d", v.status)
	}
}
