package wechat

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// wechatHost is the host the SDK has hard-coded in every URL.
const wechatHost = "api.weixin.qq.com"

// callKey is the context key under which a Client puts the *call of one
// outbound request, so that the routing transport can find the Client's base
// URL and record what the server answered.
type callKey struct{}

// call is what one outbound request carries through the SDK to our transport
// and back: the base URL to send it to, and the HTTP status it got (the SDK
// only gives us an error string with the full URL, secret and code in it).
type call struct {
	base   *url.URL
	status atomic.Int32
}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// routingTransport rewrites https://api.weixin.qq.com/<path>?<query> to
// <base>/<path>?<query>, where base comes from the request's context. Requests
// without a call in their context go out unchanged.
type routingTransport struct {
	next http.RoundTripper
}

func (t *routingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, ok := req.Context().Value(callKey{}).(*call)
	if !ok {
		return t.next.RoundTrip(req)
	}
	if c.base != nil && req.URL.Host == wechatHost {
		r := req.Clone(req.Context())
		u := *req.URL
		u.Scheme = c.base.Scheme
		u.Host = c.base.Host
		u.User = c.base.User
		u.Path = strings.TrimSuffix(c.base.Path, "/") + req.URL.Path
		u.RawPath = ""
		r.URL = &u
		r.Host = ""
		req = r
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		c.status.Store(int32(resp.StatusCode))
	}
	return resp, err
}

var installOnce sync.Once

// installTransport replaces the SDK's util.DefaultHTTPClient once per
// process. The SDK has no per-client HTTP seam: every call goes through that
// package variable, so it must be set process-wide. It is set once, to a
// client whose transport routes each request by the base URL its Client put
// in the request's context; that keeps several Clients with different base
// URLs (several test servers in one binary) independent of each other.
// http.DefaultClient, which the SDK would otherwise use, is left alone.
func installTransport() {
	installOnce.Do(func() {
		util.DefaultHTTPClient = &http.Client{Transport: &routingTransport{next: newTransport()}}
	})
}

// newTransport is tuned for many small calls to one host: the load benchmark
// makes thousands of logins a second through it, so idle connections are
// kept per host instead of being opened and closed for each call.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
