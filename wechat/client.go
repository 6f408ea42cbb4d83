// Package wechat implements miniauth.WeChat on top of
// github.com/silenceper/wechat/v2, with an access-token manager shared
// between the nodes of a deployment through a miniauth.AccessTokenStore.
//
// Only the SDK's miniprogram/..., credential and util packages are imported:
// the module's root package changes the global logrus logger in init().
package wechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/miniprogram/auth"
	"github.com/silenceper/wechat/v2/miniprogram/config"
	mpcontext "github.com/silenceper/wechat/v2/miniprogram/context"

	"github.com/miniauth/miniauth"
)

// Endpoints, as paths relative to the base URL; also the endpoint label of
// the metrics.
const (
	epCode2Session = "sns/jscode2session"
	epStableToken  = "cgi-bin/stable_token"
	epToken        = "cgi-bin/token"
	epPhoneNumber  = "wxa/business/getuserphonenumber"
)

// Token modes.
const (
	ModeStable  = "stable"  // POST cgi-bin/stable_token: the same token for every caller
	ModeClassic = "classic" // GET cgi-bin/token: each fetch replaces the previous token
)

// DefaultBaseURL is WeChat's real API host.
const DefaultBaseURL = "https://api.weixin.qq.com"

// The defaults of Options.
const (
	DefaultTimeout       = 5 * time.Second // per call to WeChat
	DefaultRefreshAhead  = 5 * time.Minute // an access token is renewed this long before it expires
	DefaultTokenCacheTTL = 5 * time.Second // a node trusts its copy of the shared token this long
)

// maxTokenLen is the longest access token we accept, as WeChat asks callers
// to be ready for.
const maxTokenLen = 512

// Options configure a Client. The zero value of each field means its default.
type Options struct {
	BaseURL    string                    // default "https://api.weixin.qq.com"; e.g. "http://127.0.0.1:8080/_wxsim"
	Timeout    time.Duration             // per outbound call, default 5s
	Apps       map[string]string         // appid -> secret; at least one
	Tokens     miniauth.AccessTokenStore // nil: an in-process store (NewMemoryTokenStore)
	TokenMode  string                    // "stable" (default, POST cgi-bin/stable_token) or "classic" (GET cgi-bin/token)
	Registerer prometheus.Registerer     // nil: metrics not registered
	Logger     *slog.Logger              // nil: discard
	Now        func() time.Time          // nil: time.Now

	// RefreshAhead: refresh a token this long before it expires, default 5m.
	// stable_token hands out a new token only in its last 5 minutes, so in
	// stable mode a longer window just re-fetches the same token (at most
	// every 5 s per node, under the store's lock) until then.
	RefreshAhead  time.Duration
	TokenCacheTTL time.Duration // how long a node trusts its local copy of the shared token, default 5s

	// CodeCacheEntries bounds the cache of mini-program code images
	// (wxacode.go), default DefaultCodeCacheEntries.
	CodeCacheEntries int
}

// Client talks to WeChat for the configured apps. It is safe for concurrent
// use.
type Client struct {
	base    *url.URL
	timeout time.Duration
	mode    string
	apps    map[string]*app
	tokens  *tokenManager
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time
	codes   *codeCache
}

type app struct {
	id     string
	secret string
	auth   *auth.Auth
	stable *credential.StableAccessToken
}

var _ miniauth.WeChat = (*Client)(nil)

// New checks opts and returns a Client. It installs, once per process, the
// SDK's HTTP client that routes each call to its Client's base URL.
func New(opts Options) (*Client, error) {
	opts, base, err := opts.checked()
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:    base,
		timeout: opts.Timeout,
		mode:    opts.TokenMode,
		apps:    make(map[string]*app, len(opts.Apps)),
		log:     opts.Logger,
		now:     opts.Now,
		metrics: newMetrics(opts.Registerer, opts.Now),
		codes:   newCodeCache(opts.CodeCacheEntries),
	}
	if err := c.addApps(opts.Apps); err != nil {
		return nil, err
	}
	c.tokens = c.newTokenManager(opts)
	installTransport()
	return c, nil
}

// checked is opts with the defaults filled in, and the parsed base URL;
// an error names the first option that is wrong.
func (opts Options) checked() (Options, *url.URL, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return opts, nil, fmt.Errorf("wechat: base URL %q must be an http(s) URL with a host and no query", opts.BaseURL)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Timeout < 0 {
		return opts, nil, fmt.Errorf("wechat: timeout %v must be positive", opts.Timeout)
	}
	if len(opts.Apps) == 0 {
		return opts, nil, errors.New("wechat: no app configured")
	}
	switch opts.TokenMode {
	case "":
		opts.TokenMode = ModeStable
	case ModeStable, ModeClassic:
	default:
		return opts, nil, fmt.Errorf("wechat: token mode %q must be %q or %q", opts.TokenMode, ModeStable, ModeClassic)
	}
	if opts.RefreshAhead == 0 {
		opts.RefreshAhead = DefaultRefreshAhead
	}
	if opts.RefreshAhead < 0 {
		return opts, nil, fmt.Errorf("wechat: refresh ahead %v must be positive", opts.RefreshAhead)
	}
	if opts.TokenCacheTTL == 0 {
		opts.TokenCacheTTL = DefaultTokenCacheTTL
	}
	if opts.TokenCacheTTL < 0 {
		return opts, nil, fmt.Errorf("wechat: token cache TTL %v must be positive", opts.TokenCacheTTL)
	}
	if opts.Tokens == nil {
		opts.Tokens = NewMemoryTokenStore()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts, base, nil
}

// addApps checks each app's credentials and makes its SDK handles.
func (c *Client) addApps(apps map[string]string) error {
	ids := make([]string, 0, len(apps))
	for id := range apps {
		ids = append(ids, id)
	}
	sort.Strings(ids) // the first mistake reported is the same on every run
	for _, id := range ids {
		secret := apps[id]
		// The SDK puts appid and secret into URLs unescaped.
		if id == "" || url.QueryEscape(id) != id {
			return fmt.Errorf("wechat: appid %q must be non-empty and URL-safe", id)
		}
		if secret == "" || url.QueryEscape(secret) != secret {
			return fmt.Errorf("wechat: secret of appid %q must be non-empty and URL-safe", id)
		}
		a := &app{id: id, secret: secret}
		// The SDK's handle wants a cache, but GetAccessTokenDirectly, the
		// only method we call on it, does not use one.
		a.stable = credential.NewStableAccessToken(id, secret, "miniauth", noCache{}).(*credential.StableAccessToken)
		a.auth = auth.NewAuth(&mpcontext.Context{
			Config: &config.Config{AppID: id, AppSecret: secret, Cache: noCache{}, UseStableAK: true},
			// SDK methods that need a token get it from our manager.
			AccessTokenContextHandle: managedToken{c: c, appID: id},
		})
		c.apps[id] = a
	}
	return nil
}

// newTokenManager keeps the access tokens of the client's apps.
func (c *Client) newTokenManager(opts Options) *tokenManager {
	m := &tokenManager{
		store:        opts.Tokens,
		fetch:        c.fetchToken,
		now:          opts.Now,
		log:          opts.Logger,
		metrics:      c.metrics,
		refreshAhead: opts.RefreshAhead,
		localTTL:     opts.TokenCacheTTL,
		retryTTL:     5 * time.Second,
		timeout:      opts.Timeout,
		pollEvery:    5 * time.Millisecond,
		apps:         make(map[string]*appToken, len(c.apps)),
	}
	for id := range c.apps {
		m.apps[id] = &appToken{}
	}
	return m
}

func (c *Client) app(appID string) (*app, error) {
	a, ok := c.apps[appID]
	if !ok {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "unknown appid")
	}
	return a, nil
}

// Code2Session exchanges a wx.login() code. It is never retried: a code is
// single use, and a retry after a timeout would answer 40163.
func (c *Client) Code2Session(ctx context.Context, appID, code string) (*miniauth.WeChatSession, error) {
	a, err := c.app(appID)
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidCode, "the code is empty")
	}
	if len(code) > 512 {
		return nil, miniauth.Errorf(miniauth.EInvalidCode, "the code is malformed")
	}
	var res auth.ResCode2Session
	err = c.do(ctx, appID, epCode2Session, func(ctx context.Context) (int64, string, error) {
		var err error
		// The SDK formats the code into the URL as it is.
		res, err = a.auth.Code2SessionContext(ctx, url.QueryEscape(code))
		if err == nil && (res.OpenID == "" || res.SessionKey == "") {
			err = errBadJSON
		}
		return res.ErrCode, res.ErrMsg, err
	})
	if err != nil {
		return nil, err
	}
	return &miniauth.WeChatSession{OpenID: res.OpenID, UnionID: res.UnionID, SessionKey: res.SessionKey}, nil
}

// AccessToken returns a valid access token of the app from the manager, for
// calls to WeChat APIs beyond this package's.
func (c *Client) AccessToken(ctx context.Context, appID string) (string, error) {
	if _, err := c.app(appID); err != nil {
		return "", err
	}
	return c.tokens.get(ctx, appID)
}

// InvalidateAccessToken tells the manager that WeChat rejected token bad
// (errcode 40001 or 42001) and returns a different valid token: one another
// node already got, or a forced refresh within WeChat's limits (30 s apart,
// 20 a day across the deployment). Retry the rejected call once with it.
func (c *Client) InvalidateAccessToken(ctx context.Context, appID, bad string) (string, error) {
	if _, err := c.app(appID); err != nil {
		return "", err
	}
	return c.tokens.invalid(ctx, appID, bad)
}

// fetchToken gets a new access token from WeChat, in the configured mode.
func (c *Client) fetchToken(ctx context.Context, appID string, force bool) (miniauth.AccessToken, error) {
	a, err := c.app(appID)
	if err != nil {
		return miniauth.AccessToken{}, err
	}
	var res credential.ResAccessToken
	endpoint := epStableToken
	if c.mode == ModeClassic {
		endpoint = epToken
	}
	err = c.do(ctx, appID, endpoint, func(ctx context.Context) (int64, string, error) {
		var err error
		if c.mode == ModeClassic {
			// Classic tokens have no force flag: every fetch is a new token.
			res, err = credential.GetTokenFromServerContext(ctx, "https://"+wechatHost+"/"+epToken+
				"?grant_type=client_credential&appid="+a.id+"&secret="+a.secret)
		} else {
			res, err = a.stable.GetAccessTokenDirectly(ctx, force)
		}
		if err == nil && (res.AccessToken == "" || len(res.AccessToken) > maxTokenLen || res.ExpiresIn <= 0) {
			err = errBadJSON
		}
		return res.ErrCode, res.ErrMsg, err
	})
	if err != nil {
		return miniauth.AccessToken{}, err
	}
	now := c.now()
	return miniauth.AccessToken{
		Value:     res.AccessToken,
		ExpiresAt: now.Add(time.Duration(res.ExpiresIn) * time.Second),
		FetchedAt: now,
	}, nil
}

// errBadJSON marks a 200 answer that does not decode, or lacks what it must
// have.
var errBadJSON = errors.New("bad json")

// do runs one outbound call with its timeout, through the routing transport
// to this Client's base URL, and turns its outcome into a domain error, a
// metric and, on failure, a log line. fn returns WeChat's errcode and errmsg
// (0 and "" when it answered none) and the SDK's error, which is only
// classified: it holds the full URL, secret and code included.
func (c *Client) do(ctx context.Context, appID, endpoint string, fn func(context.Context) (int64, string, error)) error {
	start := time.Now()
	cl := &call{base: c.base}
	cctx, cancel := context.WithTimeout(withCall(ctx, cl), c.timeout)
	defer cancel()
	errcode, errmsg, err := fn(cctx)
	latency := time.Since(start)

	var out *miniauth.Error
	label, rid := "0", ""
	switch {
	case errcode != 0:
		rid = ridOf(errmsg)
		label = strconv.FormatInt(errcode, 10)
		out = errcodeError(endpoint, errcode, rid)
	case errors.Is(err, errBadJSON):
		label = kindBadJSON
		out = miniauth.WrapError(miniauth.EUpstreamUnavailable, "wechat is unavailable", &CallError{Endpoint: endpoint, Kind: "bad json"})
	case err != nil:
		out, label = transportError(cctx, endpoint, cl, err)
	}
	c.metrics.calls.WithLabelValues(endpoint, label).Inc()
	c.metrics.duration.WithLabelValues(endpoint).Observe(latency.Seconds())
	if out == nil {
		return nil
	}
	// out.Err is our redacted CallError, never the SDK's error.
	c.log.Warn("wechat call failed", "endpoint", endpoint, "appid", appID, "errcode", label,
		"rid", rid, "latency_ms", latency.Milliseconds(), "cause", out.Err)
	return out
}
