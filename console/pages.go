package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/miniauth/miniauth"
)

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	h.renderSignIn(w, r, http.StatusOK, "")
}

// renderSignIn shows the form with a fresh pre-sign-in secret and its token.
func (h *Handler) renderSignIn(w http.ResponseWriter, r *http.Request, status int, problem string) {
	secret := randomValue()
	h.setCookie(w, signInCookie, secret, time.Hour)
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, status, "signin", page{CSRF: csrfToken(secret), Data: problem})
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	pre, _ := r.Cookie(signInCookie)
	if pre == nil || !validCSRF(pre.Value, r.PostFormValue(csrfField)) {
		h.fail(w, r, errForbidden)
		return
	}
	name := r.PostFormValue("name")
	token, sess, err := h.c.SignIn(r.Context(), name, r.PostFormValue("password"), h.origin(r, name))
	switch miniauth.ErrorCode(err) {
	case "":
	case miniauth.EUnauthorized:
		h.renderSignIn(w, r, http.StatusUnauthorized, "bad_signin")
		return
	case miniauth.ERateLimited:
		w.Header().Set("Retry-After", retryAfter(miniauth.RetryAfterOf(err)))
		h.renderSignIn(w, r, http.StatusTooManyRequests, "locked")
		return
	default:
		h.fail(w, r, err)
		return
	}
	h.clearCookie(w, signInCookie)
	h.setCookie(w, sessionCookie, token, time.Until(sess.ExpiresAt))
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.c.SignOut(r.Context(), s.OperatorSession, h.origin(r, s.OperatorName)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.clearCookie(w, sessionCookie)
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

type dashboardData struct {
	*miniauth.Dashboard
	NewUsers, Logins, Failed *chart
	Calls                    []CallCount
	CallsSinceStart          bool
	ShowCalls                bool
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := h.c.Dashboard(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := dashboardData{Dashboard: d,
		NewUsers: dailyChart(d.Days, func(s miniauth.DailyStat) int { return s.NewUsers }),
		Logins:   dailyChart(d.Days, func(s miniauth.DailyStat) int { return s.Logins }),
		Failed:   dailyChart(d.Days, failures),
	}
	data.Failed.Bad = true
	if h.opts.Calls != nil {
		data.ShowCalls = true
		data.Calls, data.CallsSinceStart = h.opts.Calls.Last24h()
	}
	h.render(w, r, http.StatusOK, "dashboard", h.withSession(s, "dashboard", data))
}

// failures is how many logins and refreshes failed on a day.
func failures(d miniauth.DailyStat) int {
	n := 0
	for _, f := range d.Failures {
		n += f.Count
	}
	return n
}

type usersData struct {
	Users    []*miniauth.User
	Apps     []App
	Platform []string
	Q        string
	App      string
	Plat     string
	Status   string
	Next     string // the next page's URL; empty on the last
	PlatOf   map[string]string
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	data := usersData{Apps: h.opts.Apps, Platform: h.platforms(), Q: q.Get("q"), App: q.Get("app"),
		Plat: q.Get("platform"), Status: q.Get("status"), PlatOf: h.platformOf()}
	query, err := h.userQuery(data, q.Get("after"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if query != nil {
		if data.Users, err = h.c.SearchUsers(r.Context(), *query); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if query != nil && len(data.Users) == userPage {
		last := data.Users[len(data.Users)-1]
		q.Set("after", last.CreatedAt.Format(time.RFC3339Nano)+"~"+last.ID)
		q.Del("lang")
		data.Next = Prefix + "users?" + q.Encode()
	}
	h.render(w, r, http.StatusOK, "users", h.withSession(s, "users", data))
}

// userPage is how many users a page of the list shows.
const userPage = 50

// userQuery turns the form into a query; nil when the filters can match
// nobody (an app of another platform).
func (h *Handler) userQuery(d usersData, after string) (*miniauth.UserQuery, error) {
	q := &miniauth.UserQuery{Text: d.Q, Limit: userPage}
	if len(q.Text) > 256 {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "the search text is too long")
	}
	switch d.Status {
	case "enabled", "disabled":
		v := d.Status == "disabled"
		q.Disabled = &v
	}
	for _, a := range h.opts.Apps {
		if (d.App == "" || a.AppID == d.App) && (d.Plat == "" || a.Platform == d.Plat) {
			q.AppIDs = append(q.AppIDs, a.AppID)
		}
	}
	if d.App == "" && d.Plat == "" {
		q.AppIDs = nil // every app, also those no longer configured
	} else if len(q.AppIDs) == 0 {
		return nil, nil
	}
	if after != "" {
		at, id, ok := cutLast(after, "~")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil || !miniauth.ValidID(id) {
			return nil, miniauth.Errorf(miniauth.EInvalidRequest, "after is not a position in the list")
		}
		q.AfterCreatedAt, q.AfterID = t, id
	}
	return q, nil
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return "", "", false
}

func (h *Handler) platforms() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range h.opts.Apps {
		if !seen[a.Platform] {
			seen[a.Platform] = true
			out = append(out, a.Platform)
		}
	}
	return out
}

func (h *Handler) platformOf() map[string]string {
	m := map[string]string{}
	for _, a := range h.opts.Apps {
		m[a.AppID] = a.Platform
	}
	return m
}

type userData struct {
	*miniauth.UserDetail
	Platform string
	Older    string // the next page of the login history; empty on the last
}

func (h *Handler) user(w http.ResponseWriter, r *http.Request, s *session) {
	var before time.Time
	if b := r.URL.Query().Get("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			h.fail(w, r, miniauth.Errorf(miniauth.EInvalidRequest, "before is not a position in the history"))
			return
		}
		before = t
	}
	d, err := h.c.UserDetail(r.Context(), r.PathValue("id"), before)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := userData{UserDetail: d, Platform: h.platformOf()[d.User.AppID]}
	if !d.Older.IsZero() {
		data.Older = Prefix + "users/" + url.PathEscape(d.User.ID) + "?before=" + url.QueryEscape(d.Older.Format(time.RFC3339Nano)) + "#logins"
	}
	h.render(w, r, http.StatusOK, "user", h.withSession(s, "users", data))
}

func (h *Handler) setDisabled(disabled bool) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		id := r.PathValue("id")
		if err := h.c.SetUserDisabled(r.Context(), h.origin(r, s.OperatorName), id, disabled); err != nil {
			h.fail(w, r, err)
			return
		}
		http.Redirect(w, r, Prefix+"users/"+url.PathEscape(id), http.StatusSeeOther)
	}
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if err := h.c.RevokeSession(r.Context(), h.origin(r, s.OperatorName), id, r.PathValue("sid")); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, Prefix+"users/"+url.PathEscape(id), http.StatusSeeOther)
}

type auditData struct {
	Entries []*miniauth.AuditEntry
	Older   string
}

// auditPage is how many entries a page of the audit log shows.
const auditPage = 50

func (h *Handler) audit(w http.ResponseWriter, r *http.Request, s *session) {
	f := miniauth.AuditFilter{Limit: auditPage}
	if before := r.URL.Query().Get("before"); before != "" {
		at, id, ok := cutLast(before, "~")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			h.fail(w, r, miniauth.Errorf(miniauth.EInvalidRequest, "before is not a position in the log"))
			return
		}
		f.Before, f.BeforeID = t, id
	}
	entries, err := h.c.AuditLog(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := auditData{Entries: entries}
	if len(entries) == auditPage {
		last := entries[len(entries)-1]
		data.Older = Prefix + "audit?before=" + url.QueryEscape(last.At.Format(time.RFC3339Nano)+"~"+last.ID)
	}
	h.render(w, r, http.StatusOK, "audit", h.withSession(s, "audit", data))
}
