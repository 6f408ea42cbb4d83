package seed_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/seed"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/mysql"
	"github.com/miniauth/miniauth/postgres"
	"github.com/miniauth/miniauth/sqlite"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// Every seeded token finds its session by the service's hashing, and every
// session its user; seeding twice into one database does not collide.
func TestSeededTokensReachTheirSessionsAndUsers(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir()+"/seed.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	for range 2 {
		var tokens bytes.Buffer
		rep, err := seed.Run(ctx, seed.Options{AppID: "wxseed", Users: 300, Sessions: 700, Batch: 128,
			UserStore: db, SessionStore: db, Tokens: &tokens, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Users != 300 || rep.Sessions != 700 {
			t.Errorf("report %+v", rep)
		}
		lines := strings.Fields(tokens.String())
		if len(lines) != 700 {
			t.Fatalf("%d tokens, want 700", len(lines))
		}
		for _, tok := range []string{lines[0], lines[299], lines[300], lines[699]} {
			s, err := db.SessionByAccessHash(ctx, miniauth.HashToken(tok))
			if err != nil {
				t.Fatalf("token %s: %v", tok, err)
			}
			if !s.AccessExpiresAt.After(now.Add(seed.DefaultSessionTTL - time.Second)) {
				t.Errorf("session expires at %v", s.AccessExpiresAt)
			}
			u, err := db.UserByID(ctx, s.UserID)
			if err != nil || u.OpenID != s.OpenID || u.AppID != "wxseed" || len(u.OpenID) != 28 {
				t.Errorf("user of session %s: %+v, %v", s.ID, u, err)
			}
		}
	}
	users, err := db.ListUsers(ctx, miniauth.UserFilter{AppID: "wxseed", Limit: 100})
	if err != nil || len(users) != 100 || !users[0].CreatedAt.After(users[99].CreatedAt) {
		t.Errorf("listing seeded users, newest first: %d users, %v", len(users), err)
	}
}

func TestSessionsNeedUsers(t *testing.T) {
	_, err := seed.Run(context.Background(), seed.Options{Sessions: 1})
	if err == nil {
		t.Error("sessions without users must be refused")
	}
}

// eventDB is what the events test needs of a database.
type eventDB interface {
	seed.UserInserter
	seed.EventInserter
	LoginDailyCounts(ctx context.Context, fromDay, toDay string) ([]miniauth.LoginDailyCount, error)
	UserLoginEvents(ctx context.Context, userID string, before time.Time, limit int) ([]miniauth.LoginEvent, error)
	ListUsers(ctx context.Context, f miniauth.UserFilter) ([]*miniauth.User, error)
	Close() error
}

var eventBackends = []struct {
	name string
	open func(t *testing.T) (eventDB, error)
}{
	{"sqlite", func(t *testing.T) (eventDB, error) {
		return sqlite.Open(context.Background(), t.TempDir()+"/seed.db", sqlite.Options{})
	}},
	{"postgres", func(t *testing.T) (eventDB, error) {
		return postgres.Open(context.Background(), testserver.Postgres(t))
	}},
	{"mysql", func(t *testing.T) (eventDB, error) { return mysql.Open(context.Background(), testserver.MySQL(t)) }},
}

// Seeded events land with daily aggregates that count exactly them, and
// each user that logged in successfully was created once, on every SQL
// backend.
func TestSeededEventsMatchTheirAggregates(t *testing.T) {
	for _, b := range eventBackends {
		t.Run(b.name, func(t *testing.T) {
			db, err := b.open(t)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			checkSeededEvents(t, db)
		})
	}
}

func checkSeededEvents(t *testing.T, db eventDB) {
	ctx := context.Background()
	now := time.Now()
	const users, events = 50, 3000
	// A batch above the store's rows per statement, and days past one.
	_, err := seed.Run(ctx, seed.Options{AppID: "wxseed", Users: users, Events: events, EventDays: 3, Batch: 1200,
		UserStore: db, EventStore: db, Tokens: &bytes.Buffer{}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	daily, err := db.LoginDailyCounts(ctx, "0000-00-00", "9999-99-99")
	if err != nil {
		t.Fatal(err)
	}
	counted, created, days := 0, 0, map[string]bool{}
	for _, c := range daily {
		counted += c.Count
		created += c.NewUsers
		days[c.Day] = true
		if c.AppID != "wxseed" || c.Platform != miniauth.PlatformWeixin {
			t.Errorf("aggregate row %+v", c)
		}
	}
	stored, withLogin := 0, 0
	page, err := db.ListUsers(ctx, miniauth.UserFilter{AppID: "wxseed", Limit: users})
	if err != nil || len(page) != users {
		t.Fatalf("users: %d, %v", len(page), err)
	}
	for _, u := range page {
		evs, err := db.UserLoginEvents(ctx, u.ID, now.Add(time.Second), events)
		if err != nil {
			t.Fatal(err)
		}
		stored += len(evs)
		for _, e := range evs {
			if e.Kind == miniauth.EventLogin && e.Result == miniauth.ResultOK {
				withLogin++
				break
			}
		}
	}
	if counted != events || stored != events {
		t.Errorf("aggregates count %d events, the users hold %d, want %d", counted, stored, events)
	}
	if created != withLogin || created == 0 {
		t.Errorf("aggregates count %d new users, %d users logged in", created, withLogin)
	}
	if len(days) < 3 {
		t.Errorf("events over %d days, want 3 or 4", len(days))
	}
}
