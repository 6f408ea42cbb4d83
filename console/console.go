// Package console is the operators' web console at /admin/: server-rendered
// html/template pages with a little progressive JavaScript, every byte
// embedded in the binary (no CDN: it works offline and behind a firewall).
// Its handlers call the root package's Console use cases; they never touch
// a store.
//
// Safe by construction: the session cookie is HttpOnly, SameSite=Strict,
// Path=/admin/ and Secure behind https; every POST carries a CSRF token
// derived from the cookie it goes with (403 forbidden otherwise); every
// answer has a Content-Security-Policy without inline scripts or styles,
// X-Frame-Options DENY, a Referrer-Policy and nosniff.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/miniauth/miniauth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Prefix is where the console is mounted.
const Prefix = "/admin/"

// App is one configured app, for the filters and to name platforms.
type App struct {
	AppID    string
	Platform string
}

// Options configures the console.
type Options struct {
	Console *miniauth.Console
	Apps    []App
	// Calls reports calls to WeChat and the other platforms; nil shows none.
	Calls *Calls
	// Secure sets the Secure attribute of cookies (http.public_url is https).
	Secure bool
	// StatusOf maps an error code to its HTTP status (httpapi's one table).
	StatusOf func(code string) int
	Logger   *slog.Logger
}

// Handler serves the console.
type Handler struct {
	opts  Options
	c     *miniauth.Console
	mux   *http.ServeMux
	pages map[string]*template.Template
	log   *slog.Logger
}

// New parses the templates and builds the routes.
func New(opts Options) (*Handler, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts, c: opts.Console, log: opts.Logger, mux: http.NewServeMux()}
	if err := h.parse(); err != nil {
		return nil, err
	}
	assets, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return nil, err
	}
	files := http.StripPrefix(Prefix+"assets/", http.FileServerFS(assets))
	h.mux.Handle("GET "+Prefix+"assets/", cacheAssets(files))
	h.mux.HandleFunc("GET "+Prefix+"signin", h.signInPage)
	h.mux.HandleFunc("POST "+Prefix+"signin", h.signIn)
	h.mux.HandleFunc("POST "+Prefix+"signout", h.operator(h.signOut))
	h.mux.HandleFunc("GET "+Prefix+"{$}", h.operator(h.dashboard))
	h.mux.HandleFunc("GET "+Prefix+"users", h.operator(h.users))
	h.mux.HandleFunc("GET "+Prefix+"users/{id}", h.operator(h.user))
	h.mux.HandleFunc("POST "+Prefix+"users/{id}/disable", h.operator(h.setDisabled(true)))
	h.mux.HandleFunc("POST "+Prefix+"users/{id}/enable", h.operator(h.setDisabled(false)))
	h.mux.HandleFunc("POST "+Prefix+"users/{id}/sessions/{sid}/revoke", h.operator(h.revoke))
	h.mux.HandleFunc("GET "+Prefix+"audit", h.operator(h.audit))
	return h, nil
}

// Route is a method and a path in gin's syntax.
type Route struct{ Method, Path string }

// Routes are the paths the console answers, for the router in front of it.
func Routes() []Route { return routes }

var routes = []Route{
	{"GET", Prefix}, {"GET", Prefix + "assets/*file"},
	{"GET", Prefix + "signin"}, {"POST", Prefix + "signin"}, {"POST", Prefix + "signout"},
	{"GET", Prefix + "users"}, {"GET", Prefix + "users/:id"},
	{"POST", Prefix + "users/:id/disable"}, {"POST", Prefix + "users/:id/enable"},
	{"POST", Prefix + "users/:id/sessions/:sid/revoke"},
	{"GET", Prefix + "audit"},
}

// ServeHTTP answers when at least one operator exists, and 404 otherwise:
// a deployment without operators has no console to find.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	on, err := h.c.Enabled(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !on {
		h.fail(w, r, miniauth.Errorf(miniauth.ENotFound, "no route %s %s", r.Method, r.URL.Path))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// csp allows scripts, styles and fonts from the console's own assets only;
// images may also come from the avatars' hosts.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// cacheAssets lets browsers keep the assets for an hour: they change only
// with the binary.
func cacheAssets(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// operator authenticates the console session of the request; a page
// without one goes to the sign-in page, a POST without one is forbidden.
// POSTs must carry the session's CSRF token.
func (h *Handler) operator(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cookie, _ := r.Cookie(sessionCookie)
		var sess *miniauth.OperatorSession
		var err error
		if cookie != nil {
			sess, err = h.c.Authenticate(r.Context(), cookie.Value)
		}
		if err != nil && miniauth.ErrorCode(err) != miniauth.EUnauthorized {
			h.fail(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			if sess == nil || !validCSRF(cookie.Value, r.PostFormValue(csrfField)) {
				h.fail(w, r, errForbidden)
				return
			}
		}
		if sess == nil {
			http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next(w, r, &session{OperatorSession: sess, csrf: csrfToken(cookie.Value)})
	}
}

// session is the signed-in operator of a request, with its form token.
type session struct {
	*miniauth.OperatorSession
	csrf string
}

var errForbidden = miniauth.Errorf(miniauth.EForbidden, "missing or invalid CSRF token")

// origin is who acts and from where, for the audit log.
func (h *Handler) origin(r *http.Request, name string) miniauth.Origin {
	return miniauth.Origin{Operator: name, IP: clientIP(r), UserAgent: r.UserAgent()}
}

type clientIPKey struct{}

// WithClientIP tells the console the client's address, as the router in
// front of it sees it (trusted proxies applied).
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// clientIP is the address WithClientIP gave, else the connection's.
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// fail answers err in the contract's error shape (the request id is the
// one the API's middleware has set).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := miniauth.ErrorCode(err)
	status := h.opts.StatusOf(code)
	if code == miniauth.EInternal {
		h.log.Error("console: internal error", "path", r.URL.Path, "err", err)
	}
	if d := miniauth.RetryAfterOf(err); d > 0 {
		w.Header().Set("Retry-After", retryAfter(d))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
		"code": code, "message": miniauth.ErrorMessage(err), "request_id": w.Header().Get("X-Request-Id"),
	}})
}

// retryAfter is d in whole seconds, rounded up.
func retryAfter(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
