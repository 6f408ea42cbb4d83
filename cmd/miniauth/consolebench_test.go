package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/seed"
	"github.com/miniauth/miniauth/sqlite"
)

// BenchmarkConsolePages measures the console's pages over HTTP on a real
// node whose SQLite database holds MINIAUTH_CONSOLE_BENCH_USERS users
// (default 1,000,000, over a year, eight apps of six platforms),
// MINIAUTH_CONSOLE_BENCH_SESSIONS live sessions (default 1,000,000) and
// MINIAUTH_CONSOLE_BENCH_EVENTS login events (default 10,000,000, over
// MINIAUTH_CONSOLE_BENCH_EVENT_DAYS, default 90, with their daily
// aggregates). The database is seeded once into MINIAUTH_CONSOLE_BENCH_DIR
// and reused; without that variable the benchmark skips (seeding takes
// minutes and gigabytes).
//
//	MINIAUTH_CONSOLE_BENCH_DIR=/tmp/consolebench go test -run X -bench ConsolePages -benchtime 20x -timeout 2h ./cmd/miniauth
func BenchmarkConsolePages(b *testing.B) {
	dir := os.Getenv("MINIAUTH_CONSOLE_BENCH_DIR")
	if dir == "" {
		b.Skip("MINIAUTH_CONSOLE_BENCH_DIR is not set")
	}
	size := benchSize{
		users:     envInt("MINIAUTH_CONSOLE_BENCH_USERS", 1_000_000),
		sessions:  envInt("MINIAUTH_CONSOLE_BENCH_SESSIONS", 1_000_000),
		events:    envInt("MINIAUTH_CONSOLE_BENCH_EVENTS", 10_000_000),
		eventDays: envInt("MINIAUTH_CONSOLE_BENCH_EVENT_DAYS", seed.DefaultEventDays),
	}
	if err := seedConsoleBench(dir, size, b.Logf); err != nil {
		b.Fatal(err)
	}
	t := &testing.T{}
	n := startConsoleNode(t, dir)
	defer n.stop(t)
	name := "bench" + strconv.FormatInt(time.Now().UnixNano(), 36)
	addOperator(t, dir, name, "a long enough password")
	cc := newConsoleClient(t, n.URL)
	if r := cc.signIn(name, "a long enough password"); r.status != 303 {
		b.Fatalf("sign in: %d", r.status)
	}
	// The first dashboard counts the totals (a COUNT(*) of the users and
	// of the live sessions); later loads reuse them for 10 s and count
	// again in the background. The figure below is of the later loads.
	start := time.Now()
	if r := cc.do("GET", "/admin/", nil); r.status != 200 {
		b.Fatalf("dashboard: %d", r.status)
	}
	b.Logf("the first dashboard, counting the totals: %v", time.Since(start).Round(time.Millisecond))
	body := string(cc.do("GET", "/admin/users", nil).body)
	var someUser string
	if m := regexp.MustCompile(`/admin/users/([0-9a-f]{32})`).FindStringSubmatch(body); m != nil {
		someUser = m[1]
	}
	pages := []struct{ name, path string }{
		{"dashboard", "/admin/"},
		{"users", "/admin/users"},
		{"users_page2", ""}, // filled below
		{"search_openid", "/admin/users?q=bench-openid-123456"},
		{"search_phone", "/admin/users?q=13800123456"},
		{"search_nickname", "/admin/users?q=" + url.QueryEscape("张伟")},
		{"search_id", "/admin/users?q=" + someUser},
		{"platform_qq", "/admin/users?platform=qq"},
		{"disabled", "/admin/users?status=disabled"},
		{"user", "/admin/users/" + someUser},
		{"user_older", "/admin/users/" + someUser + "?before=" + url.QueryEscape(time.Now().AddDate(0, 0, -45).Format(time.RFC3339Nano))},
		{"audit", "/admin/audit"},
	}
	if i := strings.Index(body, `href="/admin/users?`); i >= 0 {
		next := body[i+len(`href="`):]
		pages[2].path = strings.ReplaceAll(next[:strings.IndexByte(next, '"')], "&amp;", "&")
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if r := cc.do("GET", p.path, nil); r.status != 200 {
					b.Fatalf("%s: %d", p.path, r.status)
				}
			}
		})
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// benchSize is what the console bench seeds.
type benchSize struct{ users, sessions, events, eventDays int }

// seedConsoleBench fills dir's SQLite database, once: users created over a
// year with their identities, live sessions over 30 days, and login events
// with their daily aggregates over size.eventDays.
func seedConsoleBench(dir string, size benchSize, logf func(string, ...any)) error {
	marker := filepath.Join(dir, fmt.Sprintf("seeded-%d-%d-%d-%d", size.users, size.sessions, size.events, size.eventDays))
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	path := filepath.Join(dir, "miniauth.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{}) // the migrations
	if err != nil {
		return err
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	// Inserting into a dozen indexes row by row is what takes long: drop
	// the secondary ones and build them again at the end, sorted.
	indexes, err := dropIndexes(raw)
	if err != nil {
		return err
	}
	start := time.Now()
	ids, err := seedBenchUsers(raw, size.users)
	if err != nil {
		return err
	}
	logf("seeded %d users in %v", size.users, time.Since(start))
	if err := seedBenchSessions(raw, ids, size.sessions); err != nil {
		return err
	}
	logf("seeded %d sessions at %v", size.sessions, time.Since(start))
	err = seed.SeedEvents(context.Background(), seed.Events{
		Count: size.events, Days: size.eventDays, Users: len(ids), Store: db.LoginEvents(),
		User: func(i int) seed.EventUser {
			app := benchApps[i%len(benchApps)]
			return seed.EventUser{ID: ids[i], AppID: app, Platform: benchPlatforms[app]}
		},
		Progress: func(done, total int) {
			if done%1_000_000 == 0 {
				logf("seeded %d/%d events at %v", done, total, time.Since(start))
			}
		},
	})
	if err != nil {
		return err
	}
	for _, ddl := range indexes {
		if _, err := raw.Exec(ddl); err != nil {
			return err
		}
	}
	logf("seeded everything with its indexes in %v", time.Since(start))
	if _, err := raw.Exec(`ANALYZE`); err != nil {
		return err
	}
	return os.WriteFile(marker, nil, 0o600)
}

// seedBenchUsers inserts n users and their identities, created over a
// year, and returns their ids. A third have a phone, a hundredth are
// disabled, half share a unionid with nobody.
func seedBenchUsers(raw *sql.DB, n int) ([]string, error) {
	now := time.Now().UnixMilli()
	ids := make([]string, n)
	created := func(i int) int64 { return now - int64(n-i)*(365*24*3600*1000)/int64(n) }
	err := insertRows(raw, n, 500, `INSERT INTO users (id, nickname, avatar_url, phone, disabled, created_at, updated_at) VALUES `,
		func(i int) string {
			at := created(i)
			ids[i] = fmt.Sprintf("%012x%s", at, randHex(10))
			phone := ""
			if i%3 == 0 {
				phone = fmt.Sprintf("138%08d", i)
			}
			return fmt.Sprintf("('%s','%s','','%s',%d,%d,%d)", ids[i], benchNames[i%len(benchNames)]+strconv.Itoa(i%1000),
				phone, b2i(i%100 == 0), at, at)
		})
	if err != nil {
		return nil, err
	}
	err = insertRows(raw, n, 500, `INSERT INTO identities (platform, app_id, openid, unionid, user_id, created_at) VALUES `,
		func(i int) string {
			app, union := benchApps[i%len(benchApps)], ""
			if i%2 == 0 {
				union = "union-" + strconv.Itoa(i)
			}
			return fmt.Sprintf("('%s','%s','bench-openid-%d','%s','%s',%d)", benchPlatforms[app], app, i, union, ids[i], created(i))
		})
	return ids, err
}

// seedBenchSessions inserts n live sessions of random users, created over
// the last 30 days.
func seedBenchSessions(raw *sql.DB, ids []string, n int) error {
	now := time.Now().UnixMilli()
	const month = 30 * 24 * 3600 * 1000
	return insertRows(raw, n, 500, `INSERT INTO sessions (id, user_id, app_id, openid, session_key, access_hash, refresh_hash, user_agent, ip, created_at, last_used_at, access_expires_at, refresh_expires_at) VALUES `,
		func(i int) string {
			at := now - int64(n-i)*month/int64(n)
			u := int(randUint(uint64(len(ids))))
			return fmt.Sprintf("('%012x%s','%s','%s','bench-openid-%d','k','%s','%s','Mozilla/5.0 MicroMessenger','10.1.2.3',%d,%d,%d,%d)",
				at, randHex(10), ids[u], benchApps[u%len(benchApps)], u, randHex(16), randHex(16), at, at, at+7200000, at+month)
		})
}

var (
	benchApps  = []string{"wxdevappid0000000", "wxdevappid0000000", "wxdevappid0000000", "qqdevappid0000000", "ttdevappid0000000", "2021000000000000", "bddevappkey000000", "ksdevappid0000000"}
	benchNames = []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "Lily", "Tom", "小明", "阿强", "Zoe"}
	// benchPlatforms are the dev apps' platforms, as the node in dev mode has them.
	benchPlatforms = map[string]string{"wxdevappid0000000": "weixin", "qqdevappid0000000": "qq", "ttdevappid0000000": "douyin",
		"2021000000000000": "alipay", "bddevappkey000000": "baidu", "ksdevappid0000000": "kuaishou"}
)

// insertRows inserts n rows, per rows of one statement, 100,000 per transaction.
func insertRows(db *sql.DB, n, per int, prefix string, row func(i int) string) error {
	var tx *sql.Tx
	var b strings.Builder
	for i := 0; i < n; {
		if i%100_000 == 0 {
			if tx != nil {
				if err := tx.Commit(); err != nil {
					return err
				}
			}
			var err error
			if tx, err = db.Begin(); err != nil {
				return err
			}
		}
		b.Reset()
		b.WriteString(prefix)
		for j := 0; j < per && i < n; j, i = j+1, i+1 {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(row(i))
		}
		if _, err := tx.Exec(b.String()); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func randHex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return hex.EncodeToString(b)
}

func randUint(n uint64) uint64 { return rand.Uint64N(n) }

// dropIndexes drops the secondary indexes of the seeded tables and
// returns the statements that make them again.
func dropIndexes(db *sql.DB) ([]string, error) {
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('users', 'identities', 'sessions', 'login_events')`)
	if err != nil {
		return nil, err
	}
	var names, ddl []string
	for rows.Next() {
		var name, stmt string
		if err := rows.Scan(&name, &stmt); err != nil {
			rows.Close()
			return nil, err
		}
		names, ddl = append(names, name), append(ddl, stmt)
	}
	rows.Close()
	for _, name := range names {
		if _, err := db.Exec(`DROP INDEX ` + name); err != nil {
			return nil, err
		}
	}
	return ddl, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
