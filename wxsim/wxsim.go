// Package wxsim is a WeChat server simulator: an http.Handler that answers
// the WeChat endpoints miniauth uses (jscode2session, cgi-bin/token,
// cgi-bin/stable_token, wxa/business/getuserphonenumber, wxa/checksession,
// wxa/msg_sec_check, wxa/getwxacodeunlimit)
// with WeChat's own shapes and error codes, plus control endpoints under
// _sim/ that stand in for the phone (minting login and phone codes), inject
// faults and report call counts.
//
// It is used in dev mode (mounted at /_wxsim), by `miniauth wxsim`, by the
// end-to-end tests and by the load benchmark, so it is built to be cheap:
// state lives in sharded maps whose locks are never held during I/O, and
// expired codes, session keys and tokens are pruned as new ones arrive.
//
// Choices where WeChat's behaviour is unknown or the simulator must decide:
//
//   - Codes (login and phone) are consumed only by a successful exchange. A
//     call that fails for another reason (wrong appid or secret, a code of
//     another app, an openid that does not match) leaves the code usable.
//   - A used login code answers 40163 until it would have expired, then 40029.
//     A used phone code answers 40029 (WeChat has no "used" code there).
//   - An empty js_code answers 40029 (real WeChat says 41008 "missing code";
//     40029 keeps every "bad code" case on one errcode). Missing appid or
//     secret answer 41002 / 41004, a wrong grant_type 40002, as WeChat does.
//   - stable_token force_refresh: at most 20 in any 24 hours (45009 past
//     that) and 30 s apart (45011 when sooner), counting successful forced
//     refreshes per app. The daily limit is checked first.
//   - A token superseded by cgi-bin/token works 5 more minutes and then
//     answers 40001; a token past its expires_in answers 42001 (for an hour,
//     then it is forgotten and answers 40001).
//   - Session keys (for checksession) are remembered 3 days per (appid,
//     openid); the newest replaces the previous one.
//   - A delay fault holds back the answer: the call is processed at once (a
//     code is consumed) and its answer written after the delay, unless the
//     client has gone away. That is what a slow WeChat looks like: a retry
//     after a timeout finds the code used (40163).
//   - Times come from Options.Now; fault delays use real timers.
//   - msg_sec_check fails a text that contains one of Options.RiskyWords
//     (default DefaultRiskyWord): version 2 answers errcode 0 with
//     result.suggest "risky" and label 20006, version 1 errcode 87014. The
//     openid must have logged in (a session key is held), else 40003.
//   - Request bodies are read up to 64 KiB: a larger body answers 47001 on
//     WeChat endpoints and HTTP 413 on control endpoints.
//   - Unknown paths answer a plain 404 and wrong methods 405 (with Allow), as
//     a web server in front of WeChat would; a 405 still counts as a call.
//
// Control endpoints (JSON; errors are an HTTP 4xx with {"errcode","errmsg"}):
//
//	POST   _sim/login-code {"appid","openid"?,"unionid"?} -> {"code","openid"}
//	POST   _sim/phone-code {"appid","openid","phone"}     -> {"code"}
//	POST   _sim/faults     {"endpoint","errcode"?,"http_status"?,"raw_body"?,"delay_ms"?,"count"?} -> 204
//	GET    _sim/faults     -> {"faults":[...]} (pending, in order)
//	DELETE _sim/faults     -> 204
//	GET    _sim/stats      -> {"calls":{"<endpoint>":n,...},"tokens_issued":n,"forced_refreshes":n}
//	GET    _sim/alipay-gateway-key -> the PEM public key that verifies Alipay's answers
//
// The other platforms' login endpoints (QQ, Douyin, Alipay, Baidu, Kuaishou)
// are under a prefix named after each: see platforms.go.
package wxsim

import (
	"crypto/rsa"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// The dev app, known when Options.Apps is empty.
const (
	DevAppID  = "wxdevappid0000000"
	DevSecret = "devsecret"
)

// Lifetimes and limits of WeChat, and the simulator's own bounds.
const (
	CodeLifetime          = 5 * time.Minute // login and phone codes
	TokenLifetime         = 2 * time.Hour   // expires_in 7200
	TokenOverlap          = 5 * time.Minute // an old token keeps working this long
	StableRenewBelow      = 300 * time.Second
	ForceRefreshGap       = 30 * time.Second
	ForceRefreshPerDay    = 20
	SessionKeyLifetime    = 72 * time.Hour
	expiredTokenMemory    = time.Hour // how long an expired token answers 42001 rather than 40001
	tokenSweepInterval    = time.Minute
	maxBody               = 64 << 10
	DefaultMaxCodes       = 1 << 18 // per kind of code (login, phone), used or not, held at once
	DefaultMaxSessionKeys = 1 << 18
	maxIDLen              = 128 // openid and unionid given to the control endpoints
	maxFaultDelay         = 10 * time.Minute
	maxFaultCount         = 100000
	jsonContentType       = "application/json; encoding=utf-8" // what WeChat sends
	controlContentType    = "application/json"
	wechatSuccessErrMsg   = "ok"
)

// ErrUnknownApp is returned by LoginCode and PhoneCode for an appid the
// simulator does not know.
var ErrUnknownApp = errors.New("wxsim: unknown appid")

// Options configures a Simulator. The zero value is the dev setup.
type Options struct {
	Apps   map[string]string // WeChat apps, appid -> secret; empty (and no PlatformApps) means DevAppID / DevSecret
	Now    func() time.Time  // nil: time.Now
	Logger *slog.Logger      // nil: discard

	// PlatformApps are the apps of the other platforms (and WeChat apps
	// too, if wanted). AlipayGatewayKey signs Alipay's answers; nil: a key
	// made by New when there is an Alipay app.
	PlatformApps     []App
	AlipayGatewayKey *rsa.PrivateKey

	// Memory bounds: a login holds about 560 bytes (its code until it
	// expires, its session key for checksession). Past MaxCodes codes of a
	// kind, the oldest is dropped before its 5 minutes are up (a replay of an
	// old used code then answers 40029 rather than 40163); past
	// MaxSessionKeys, the oldest user's session key is forgotten (checksession
	// answers 87009). The defaults (262,144 each, about 150 MB when full) hold
	// 5 minutes of codes up to ~870 logins a second. 0 means the default.
	MaxCodes       int
	MaxSessionKeys int

	// RiskyWords are what wxa/msg_sec_check finds risky: a text that
	// contains one of them (ignoring case) fails. Nil means
	// []string{DefaultRiskyWord}; an empty, non-nil list passes everything.
	RiskyWords []string
	// Pages are the published pages of the mini programs, which
	// getwxacodeunlimit's check_path checks (codes.go); empty: any
	// well-formed page is published.
	Pages []string
}

// Simulator is the WeChat simulator. It is safe for concurrent use. Create
// it with New.
type Simulator struct {
	apps map[string]app // read-only after New
	now  func() time.Time
	log  *slog.Logger

	loginCodes  *store[loginCode]
	phoneCodes  *store[phoneCode]
	sessionKeys *store[string] // key: appid + "\x00" + openid
	tokens      tokenState
	faults      faultQueue
	alipayKey   *rsa.PrivateKey // signs Alipay's answers
	riskyWords  []string        // lower case
	pages       map[string]bool // published pages; empty: all

	calls           [numEndpoints]atomic.Int64
	tokensIssued    atomic.Int64
	forcedRefreshes atomic.Int64
}

type app struct {
	id, secret string
	platform   string         // platformWeixin for Options.Apps
	publicKey  *rsa.PublicKey // Alipay: verifies the app's requests
}

// New returns a Simulator with the options' apps, clock and logger.
func New(opts Options) *Simulator {
	maxCodes, maxKeys := opts.MaxCodes, opts.MaxSessionKeys
	if maxCodes <= 0 {
		maxCodes = DefaultMaxCodes
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxSessionKeys
	}
	s := &Simulator{
		apps:        make(map[string]app),
		now:         opts.Now,
		log:         opts.Logger,
		loginCodes:  newStore[loginCode](maxCodes),
		phoneCodes:  newStore[phoneCode](maxCodes),
		sessionKeys: newStore[string](maxKeys),
	}
	for id, secret := range opts.Apps {
		s.apps[id] = app{id: id, secret: secret, platform: platformWeixin}
	}
	s.riskyWords = riskyWords(opts.RiskyWords)
	if len(s.apps) == 0 && len(opts.PlatformApps) == 0 {
		s.apps[DevAppID] = app{id: DevAppID, secret: DevSecret, platform: platformWeixin}
	}
	s.addPlatformApps(opts)
	s.pages = make(map[string]bool, len(opts.Pages))
	for _, p := range opts.Pages {
		s.pages[p] = true
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.tokens.init()
	return s
}

// The WeChat endpoints, by index into the call counters.
const (
	epCode2Session = iota
	epToken
	epStableToken
	epPhoneNumber
	epCheckSession
	epMsgSecCheck
	epCodeUnlimit
	numWeChatEndpoints // the other platforms' endpoints follow (platforms.go)
)

var endpoints = [numEndpoints]struct {
	path, method string
	serve        func(*Simulator, *http.Request) response
}{
	epCode2Session: {"sns/jscode2session", http.MethodGet, (*Simulator).code2Session},
	epToken:        {"cgi-bin/token", http.MethodGet, (*Simulator).token},
	epStableToken:  {"cgi-bin/stable_token", http.MethodPost, (*Simulator).stableToken},
	epPhoneNumber:  {"wxa/business/getuserphonenumber", http.MethodPost, (*Simulator).phoneNumber},
	epCheckSession: {"wxa/checksession", http.MethodGet, (*Simulator).checkSession},
	epMsgSecCheck:  {"wxa/msg_sec_check", http.MethodPost, (*Simulator).msgSecCheck},
	epCodeUnlimit:  {"wxa/getwxacodeunlimit", http.MethodPost, (*Simulator).codeUnlimit},

	epQQCode2Session:       {"qq/sns/jscode2session", http.MethodGet, (*Simulator).qqCode2Session},
	epDouyinCode2Session:   {"douyin/api/apps/v2/jscode2session", http.MethodPost, (*Simulator).douyinCode2Session},
	epAlipayGateway:        {"alipay/gateway.do", http.MethodPost, (*Simulator).alipayGateway},
	epBaiduCode2Session:    {"baidu/oauth/jscode2sessionkey", http.MethodPost, (*Simulator).baiduCode2Session},
	epKuaishouCode2Session: {"kuaishou/oauth2/mp/code2session", http.MethodPost, (*Simulator).kuaishouCode2Session},
}

// endpointIndex finds a WeChat endpoint by its path, with or without a
// leading slash.
func endpointIndex(path string) (int, bool) {
	path = strings.TrimPrefix(path, "/")
	for i := range endpoints {
		if endpoints[i].path == path {
			return i, true
		}
	}
	return 0, false
}

// ServeHTTP answers paths relative to the simulator's base, with or without
// a leading slash ("sns/jscode2session", "/_sim/stats"); mount it with
// http.StripPrefix. Unknown paths answer 404 and wrong methods 405, as a web
// server in front of WeChat would.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if ep, ok := endpointIndex(path); ok {
		s.serveWeChat(w, r, ep)
		return
	}
	var (
		method string
		serve  func(*Simulator, *http.Request) response
	)
	switch path {
	case "_sim/login-code":
		method, serve = http.MethodPost, (*Simulator).serveLoginCode
	case "_sim/phone-code":
		method, serve = http.MethodPost, (*Simulator).servePhoneCode
	case "_sim/stats":
		method, serve = http.MethodGet, (*Simulator).serveStats
	case "_sim/alipay-gateway-key":
		method, serve = http.MethodGet, (*Simulator).serveAlipayGatewayKey
	case "_sim/faults":
		switch r.Method {
		case http.MethodPost:
			s.serveAddFault(r).write(w)
		case http.MethodGet:
			s.serveListFaults(r).write(w)
		case http.MethodDelete:
			s.ClearFaults()
			w.WriteHeader(http.StatusNoContent)
		default:
			methodNotAllowed(w, "GET, POST, DELETE")
		}
		return
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != method {
		methodNotAllowed(w, method)
		return
	}
	serve(s, r).write(w)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
}

// serveWeChat counts the call, applies a pending fault and answers.
func (s *Simulator) serveWeChat(w http.ResponseWriter, r *http.Request, ep int) {
	s.calls[ep].Add(1)
	if r.Method != endpoints[ep].method {
		methodNotAllowed(w, endpoints[ep].method)
		return
	}
	f, faulted := s.faults.take(ep)
	var resp response
	if faulted && f.answers() {
		resp = s.faultResponse(f)
	} else {
		resp = endpoints[ep].serve(s, r)
	}
	if faulted && f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return // the client is gone; nobody reads the answer
		}
	}
	resp.write(w)
	// Only the endpoint and the outcome: never codes, tokens or keys.
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "wxsim: call",
			slog.String("endpoint", endpoints[ep].path), slog.Int("errcode", resp.errcode),
			slog.Int("status", max(resp.status, http.StatusOK)), slog.Bool("faulted", faulted))
	}
}

// ParseApp splits an "APPID:SECRET" command-line value (the --app flag of
// `miniauth wxsim`) into the two parts. The secret may itself contain ":".
func ParseApp(s string) (appID, secret string, err error) {
	appID, secret, ok := strings.Cut(s, ":")
	if !ok || appID == "" || secret == "" {
		return "", "", errors.New(`wxsim: app must be "APPID:SECRET"`)
	}
	return appID, secret, nil
}

// checkApp answers the WeChat errcode for an appid and secret pair, 0 when
// the app is a known WeChat app and the secret is its own.
func (s *Simulator) checkApp(appID, secret string) int {
	return s.checkPlatformApp(platformWeixin, appID, secret)
}

func (s *Simulator) knows(appID string) bool {
	_, ok := s.apps[appID]
	return ok
}

// canonicalAppID returns the simulator's own copy of a known appid, so that
// the codes held do not each keep a copy of the request's string.
func (s *Simulator) canonicalAppID(appID string) string { return s.apps[appID].id }

func (s *Simulator) nowNano() int64 { return s.now().UnixNano() }
