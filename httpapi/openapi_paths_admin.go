package httpapi

import (
	"net/http"
	"strconv"

	"github.com/miniauth/miniauth"
)

// The OpenAPI operations of the admin API (behind admin.token) and of the
// operators' console (HTML pages and forms behind a sign-in).

func adminDocRoutes() []route {
	adminUser := ref("AdminUser")
	withID := []int{401, 404, 503}
	pageLimit := func(max int) param {
		return param{"limit", "Page size, 1 to " + strconv.Itoa(max), schema{"type": "integer", "minimum": 1, "maximum": max}}
	}
	return []route{
		{method: "GET", path: "/admin/v1/users", tag: "admin", auth: "admin", summary: "Users, newest first",
			query: []param{{"appid", "Only this app's users", str},
				{"offset", "Users to skip", schema{"type": "integer", "minimum": 0}}, pageLimit(100)},
			status: 200, answer: object(schema{"users": arrayOf(adminUser)}, "users"), errors: []int{401, 503}},
		{method: "GET", path: "/admin/v1/users/{id}", tag: "admin", auth: "admin", summary: "A user",
			status: 200, answer: adminUser, errors: withID},
		{method: "POST", path: "/admin/v1/users/{id}/disable", tag: "admin", auth: "admin",
			summary: "Disable a user: end their sessions, refuse their logins", status: 200, answer: adminUser, errors: withID},
		{method: "POST", path: "/admin/v1/users/{id}/enable", tag: "admin", auth: "admin",
			summary: "Enable a user again", status: 200, answer: adminUser, errors: withID},
		{method: "GET", path: "/admin/v1/users/{id}/sessions", tag: "admin", auth: "admin", summary: "A user's live sessions",
			status: 200, answer: object(schema{"sessions": arrayOf(schemaFor(adminSessionJSON{}))}, "sessions"), errors: withID},
		{method: "DELETE", path: "/admin/v1/users/{id}/sessions", tag: "admin", auth: "admin", summary: "End every session of a user",
			status: 200, answer: object(schema{"revoked": integer}, "revoked"), errors: withID},
		{method: "GET", path: "/admin/v1/users/{id}/logins", tag: "admin", auth: "admin",
			summary: "A user's logins and refreshes, newest first, a page at a time",
			query: []param{{"before", "Only events before this time (RFC 3339, exclusive): the next_before of the last page",
				dateTime}, pageLimit(miniauth.MaxLoginEventsPage)},
			status: 200, answer: loginsPageJSON{}, errors: withID},
		{method: "DELETE", path: "/admin/v1/sessions/{id}", tag: "admin", auth: "admin", summary: "End one session",
			status: 204, errors: withID},
	}
}

// The console's pages answer HTML, or 303 to the sign-in page without a
// console session; its forms answer 303 to the page to show next. Errors
// (no operator yet: 404; a form without its CSRF token: 403) are in the
// contract's shape.
func consoleDocRoutes() []route {
	page := func(path, summary string, query []param, errors ...int) route {
		return route{method: "GET", path: path, tag: "console", auth: "operator", summary: summary, query: append(query, langParam),
			status: 200, answer: htmlPage, also: map[int]any{http.StatusSeeOther: nil}, errors: append(errors, 404, 503)}
	}
	action := func(path, summary string, errors ...int) route {
		return route{method: "POST", path: path, tag: "console", auth: "operator", summary: summary,
			request: form{"csrf": "The page's CSRF token"}, status: http.StatusSeeOther, errors: append(errors, 403, 404, 503)}
	}
	return []route{
		page("/admin/", "The dashboard", nil),
		{method: "GET", path: "/admin/assets/{file}", tag: "console", summary: "The console's stylesheet and script", status: 200,
			answer: []media{{"text/css", str}, {"text/javascript", str}}, also: map[int]any{http.StatusNotModified: nil},
			errors: []int{404, 503}},
		{method: "GET", path: "/admin/signin", tag: "console", summary: "The sign-in page", query: []param{langParam},
			status: 200, answer: htmlPage, errors: []int{404, 503}},
		{method: "POST", path: "/admin/signin", tag: "console", summary: "Sign in: sets the console session cookie",
			description: "Five failed sign-ins of one operator in 15 minutes lock it for 15 minutes (429).",
			request:     form{"csrf": "The sign-in page's CSRF token", "name": "The operator", "password": "Its password"},
			status:      http.StatusSeeOther, also: map[int]any{http.StatusUnauthorized: htmlPage, http.StatusTooManyRequests: htmlPage},
			errors: []int{403, 404, 503}},
		action("/admin/signout", "Sign out"),
		page("/admin/users", "Users, searched and filtered, a page at a time", []param{
			{"q", "An id, openid, unionid, phone or nickname prefix", str}, {"app", "Only this app's users", str},
			{"platform", "Only this platform's users", str}, {"status", "enabled or disabled", str},
			{"after", "Where the page starts: the previous page's next link", str}}),
		page("/admin/users/{id}", "A user: identities, profile, sessions, logins", nil),
		action("/admin/users/{id}/disable", "Disable the user"),
		action("/admin/users/{id}/enable", "Enable the user"),
		action("/admin/users/{id}/sessions/{sid}/revoke", "End one of the user's sessions"),
		page("/admin/audit", "The audit log of operators' actions", []param{{"before", "Where the page starts", str}}),
	}
}

var langParam = param{"lang", "The page's language, over Accept-Language", enum("en", "zh-CN")}
