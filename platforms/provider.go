// Package platforms implements miniauth.LoginProvider for the mini-program
// platforms other than WeChat: QQ, Douyin, Alipay, Baidu and Kuaishou, over
// plain net/http (a file per platform: the request it sends and how it reads
// the answer). What every platform shares lives here: one call per code with
// its deadline and never a retry, the metrics, and errors that never carry a
// secret, a key or a code.
package platforms

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
)

// DefaultTimeout bounds one call to a platform when Options.Timeout is 0.
const DefaultTimeout = 5 * time.Second

// DefaultBaseURLs are the platforms' real API hosts.
var DefaultBaseURLs = map[string]string{
	miniauth.PlatformQQ:       "https://api.q.qq.com",
	miniauth.PlatformDouyin:   "https://developer.toutiao.com",
	miniauth.PlatformAlipay:   "https://openapi.alipay.com",
	miniauth.PlatformBaidu:    "https://spapi.baidu.com",
	miniauth.PlatformKuaishou: "https://open.kuaishou.com",
}

const (
	maxCodeLen   = 512
	maxAnswerLen = 64 << 10 // a login answer is a few hundred bytes
)

// Options configure the Provider of one app.
type Options struct {
	Platform string // one of the miniauth.Platform* but weixin
	AppID    string // Baidu: the App Key
	Secret   string // not for Alipay, which signs instead

	// Alipay only: the app's private key signs requests; Alipay's public key
	// verifies answers.
	PrivateKey      *rsa.PrivateKey
	AlipayPublicKey *rsa.PublicKey

	BaseURL    string                // "": DefaultBaseURLs; e.g. "http://127.0.0.1:8080/_wxsim/qq"
	Timeout    time.Duration         // per call; 0: DefaultTimeout
	HTTPClient *http.Client          // nil: a client of its own (NewHTTPClient)
	Registerer prometheus.Registerer // nil: metrics not registered
	Logger     *slog.Logger          // nil: discard
	Now        func() time.Time      // nil: time.Now (Alipay's timestamp)
}

// api is what differs between platforms: the request for a code, and how to
// read the answer.
type api interface {
	endpoint() string // path under the base URL, also the metrics' endpoint label
	request(ctx context.Context, base, code string) (*http.Request, error)
	parse(status int, body []byte) (*miniauth.LoginSession, result)
}

// Provider exchanges the login codes of one app. It is safe for concurrent
// use.
type Provider struct {
	platform string
	appID    string
	base     string
	timeout  time.Duration
	http     *http.Client
	api      api
	metrics  *metrics
	log      *slog.Logger
}

var _ miniauth.LoginProvider = (*Provider)(nil)

// New checks opts and returns the app's Provider.
func New(opts Options) (*Provider, error) {
	if opts.AppID == "" || strings.ContainsAny(opts.AppID, "\x00\r\n") {
		return nil, fmt.Errorf("platforms: appid %q must be non-empty text", opts.AppID)
	}
	base, err := baseURL(opts)
	if err != nil {
		return nil, err
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("platforms: %s app %s: timeout %v must be positive", opts.Platform, opts.AppID, opts.Timeout)
	}
	a, err := newAPI(opts)
	if err != nil {
		return nil, fmt.Errorf("platforms: %s app %s: %w", opts.Platform, opts.AppID, err)
	}
	p := &Provider{
		platform: opts.Platform,
		appID:    opts.AppID,
		base:     base,
		timeout:  opts.Timeout,
		http:     opts.HTTPClient,
		api:      a,
		metrics:  newMetrics(opts.Registerer),
		log:      opts.Logger,
	}
	if p.timeout == 0 {
		p.timeout = DefaultTimeout
	}
	if p.http == nil {
		p.http = NewHTTPClient()
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

func newAPI(opts Options) (api, error) {
	needSecret := func(a api) (api, error) {
		if opts.Secret == "" {
			return nil, errors.New("a secret is required")
		}
		return a, nil
	}
	switch opts.Platform {
	case miniauth.PlatformQQ:
		return needSecret(qq{appID: opts.AppID, secret: opts.Secret})
	case miniauth.PlatformDouyin:
		return needSecret(douyin{appID: opts.AppID, secret: opts.Secret})
	case miniauth.PlatformBaidu:
		return needSecret(baidu{appKey: opts.AppID, secret: opts.Secret})
	case miniauth.PlatformKuaishou:
		return needSecret(kuaishou{appID: opts.AppID, secret: opts.Secret})
	case miniauth.PlatformAlipay:
		return newAlipay(opts)
	}
	return nil, fmt.Errorf("unknown platform %q", opts.Platform)
}

func baseURL(opts Options) (string, error) {
	raw := opts.BaseURL
	if raw == "" {
		raw = DefaultBaseURLs[opts.Platform]
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("platforms: %s base URL %q must be an http(s) URL with a host and no query", opts.Platform, raw)
	}
	return strings.TrimSuffix(raw, "/"), nil
}

// NewHTTPClient is a client for many small calls to a few hosts, to share
// between Providers. Each call's deadline comes from its context.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		// A login endpoint that redirects is not answering.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Code2Session exchanges a login code of the app, in exactly one call
// bounded by the timeout: a code is single use, so nothing is retried.
func (p *Provider) Code2Session(ctx context.Context, appID, code string) (*miniauth.LoginSession, error) {
	if appID != p.appID {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "unknown appid")
	}
	if code == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidCode, "the code is empty")
	}
	if len(code) > maxCodeLen {
		return nil, miniauth.Errorf(miniauth.EInvalidCode, "the code is malformed")
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	session, res := p.exchange(cctx, code)
	latency := time.Since(start)
	p.metrics.observe(p.platform, p.api.endpoint(), p.appID, res.label, latency)
	if res.err == nil {
		return session, nil
	}
	// res.err's cause is our redacted CallError, never an http error (whose
	// text has the URL, and for QQ the secret and the code in it).
	p.log.Warn("platform call failed", "platform", p.platform, "endpoint", p.api.endpoint(), "appid", p.appID,
		"result", res.label, "latency_ms", latency.Milliseconds(), "cause", res.err.Err)
	return nil, res.err
}

func (p *Provider) exchange(ctx context.Context, code string) (*miniauth.LoginSession, result) {
	req, err := p.api.request(ctx, p.base, code)
	if err != nil {
		// Only signing can fail here, and New checked the key.
		return nil, p.fail("request", labelHTTPError)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, p.transportFailure(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerLen+1))
	if err != nil {
		return nil, p.transportFailure(ctx, err)
	}
	if len(body) > maxAnswerLen {
		return nil, p.fail("answer too large", labelBadJSON)
	}
	session, res := p.api.parse(resp.StatusCode, body)
	return session, res.from(p.platform)
}

// transportFailure classifies a call that got no answer. err is only
// inspected, never kept.
func (p *Provider) transportFailure(ctx context.Context, err error) result {
	var netErr net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return p.fail("timeout", labelTimeout)
	case ctx.Err() != nil:
		return p.fail("canceled", labelHTTPError)
	}
	return p.fail("transport", labelHTTPError)
}

func (p *Provider) fail(kind, label string) result {
	return unavailable(p.api.endpoint(), kind, label).from(p.platform)
}
