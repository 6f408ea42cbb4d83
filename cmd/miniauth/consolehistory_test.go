package main

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testkit"
	"github.com/miniauth/miniauth/internal/testserver"
)

// consoleBackends are the deployments the console's history and charts
// are checked on: the login events are in the SQL database in each, the
// sessions in the database or in Redis.
var consoleBackends = []struct {
	name string
	env  func(t *testing.T) []string
}{
	{"sqlite", func(t *testing.T) []string { return nil }},
	{"postgres", func(t *testing.T) []string { return []string{"MINIAUTH_DB_URL=" + testserver.Postgres(t)} }},
	{"mysql", func(t *testing.T) []string { return []string{"MINIAUTH_DB_URL=" + testserver.MySQL(t)} }},
	{"sqlite+redis", func(t *testing.T) []string { return []string{"MINIAUTH_REDIS_URL=" + testserver.Redis(t)} }},
}

var loginRow = regexp.MustCompile(`data-kind="(\w+)" data-result="(\w+)"`)

// The user page shows every login, refresh, logout and failure from the
// login events, newest first, whatever keeps the sessions; the dashboard's
// charts and failures come from the daily aggregates.
func TestConsoleLoginHistoryAndCharts(t *testing.T) {
	for _, b := range consoleBackends {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			env := append(b.env(t), "MINIAUTH_EVENTS_FLUSH_INTERVAL=5ms")
			n := startConsoleNode(t, dir, env...)
			addOperatorWith(t, append([]string{"MINIAUTH_DATA_DIR=" + dir}, env...), "root", "a long enough password")
			cc := newConsoleClient(t, n.URL)
			if r := cc.signIn("root", "a long enough password"); r.status != 303 {
				t.Fatalf("sign-in: %d", r.status)
			}
			a := n.login(t, "history-openid")
			r := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken})
			if r := call(t, "POST", n.URL+"/api/v1/auth/logout", decodeLogin(t, r).AccessToken, nil); r.status != 204 {
				t.Fatalf("logout: %d", r.status)
			}
			userPage := "/admin/users/" + a.User.ID
			cc.do("GET", userPage, nil) // the form's CSRF token
			if r := cc.post(userPage+"/disable", nil); r.status != 303 {
				t.Fatalf("disable: %d", r.status)
			}
			code := mintCode(t, n.URL+"/_wxsim", "history-openid")
			if r := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}); r.errorCode(t) != "user_blocked" {
				t.Fatalf("login of a disabled user: %s", r.body)
			}

			var body string
			eventually(t, 5*time.Second, "four events on the user page", func() bool {
				body = string(cc.do("GET", userPage, nil).body)
				return len(loginRow.FindAllString(body, -1)) == 4
			})
			var got []string
			for _, m := range loginRow.FindAllStringSubmatch(body, -1) {
				got = append(got, m[1]+" "+m[2])
			}
			if want := "login user_blocked,logout ok,refresh ok,login ok"; strings.Join(got, ",") != want {
				t.Errorf("history %v, want %s", got, want)
			}
			history := body[strings.Index(body, `id="logins"`):]
			for _, want := range []string{"wxdevappid0000000", "<td>weixin</td>", "127.0.0.1", "Go-http-client"} {
				if !strings.Contains(history, want) {
					t.Errorf("the history lacks %q", want)
				}
			}
			zh := string(cc.do("GET", userPage+"?lang=zh-CN", nil).body)
			for _, want := range []string{"登录记录", "<td>刷新</td>", "<td>退出</td>", "成功", "user_blocked"} {
				if !strings.Contains(zh, want) {
					t.Errorf("the Chinese history lacks %q", want)
				}
			}

			dr := cc.do("GET", "/admin/?lang=en", nil)
			dash := html.UnescapeString(string(dr.body))
			if dr.status != 200 {
				t.Fatalf("dashboard: %d %s", dr.status, dash)
			}
			for _, want := range []string{`id="chart-new-users"`, `id="chart-logins"`, `id="chart-failures"`,
				`<td>user_blocked</td><td>weixin</td><td class="num">1</td>`} {
				if !strings.Contains(dash, want) {
					t.Errorf("the dashboard lacks %s", want)
				}
			}
			for _, chart := range []string{"chart-new-users", "chart-logins", "chart-failures"} {
				section := dash[strings.Index(dash, `id="`+chart+`"`):]
				if !strings.Contains(section[:strings.Index(section, "</section>")], `data-value="1"`) {
					t.Errorf("%s has no day of 1", chart)
				}
			}
		})
	}
}

// The history pages on by time, a page of 50 at a time.
func TestConsoleLoginHistoryPages(t *testing.T) {
	dir := t.TempDir()
	n := startConsoleNode(t, dir, "MINIAUTH_EVENTS_FLUSH_INTERVAL=5ms")
	addOperator(t, dir, "root", "a long enough password")
	cc := newConsoleClient(t, n.URL)
	if r := cc.signIn("root", "a long enough password"); r.status != 303 {
		t.Fatalf("sign-in: %d", r.status)
	}
	a := n.login(t, "pages-openid")
	refresh := a.RefreshToken
	for range 51 {
		r := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
		refresh = decodeLogin(t, r).RefreshToken
		time.Sleep(time.Millisecond) // one event a millisecond: the pages' positions are times
	}
	userPage := "/admin/users/" + a.User.ID
	olderLink := regexp.MustCompile(`href="([^"]+)" id="logins-older"`)
	var first, rest string
	eventually(t, 5*time.Second, "52 events over two pages", func() bool {
		first = string(cc.do("GET", userPage, nil).body)
		older := olderLink.FindStringSubmatch(first)
		if older == nil {
			return false
		}
		rest = string(cc.do("GET", html.UnescapeString(older[1]), nil).body)
		return len(loginRow.FindAllString(first, -1))+len(loginRow.FindAllString(rest, -1)) == 52
	})
	rows := loginRow.FindAllStringSubmatch(rest, -1)
	if n := len(loginRow.FindAllString(first, -1)); n != 50 || len(rows) != 2 || rows[1][1] != "login" || olderLink.MatchString(rest) {
		t.Errorf("pages of %d and %d rows, the last %v", n, len(rows), rows)
	}
	if r := cc.do("GET", userPage+"?before=yesterday", nil); r.status != 400 {
		t.Errorf("a bad position: %d", r.status)
	}
}

// addOperatorWith adds an operator with the node's environment (its
// database URL).
func addOperatorWith(t *testing.T, env []string, name, password string) {
	t.Helper()
	var out, errs testkit.LogBuffer
	env = append(append([]string{}, cheapPasswords...), env...)
	err := runWithInput(context.Background(), []string{"operator", "add", name}, env, strings.NewReader(password+"\n"), &out, &errs)
	if err != nil {
		t.Fatalf("operator add %s: %v (%s)", name, err, errs.String())
	}
}
