package wechat

// Shims between the silenceper SDK and this package.

import (
	"context"
	"encoding/json"
	"time"
)

// managedToken gives the SDK's token interface our manager's tokens.
type managedToken struct {
	c     *Client
	appID string
}

func (m managedToken) GetAccessToken() (string, error) {
	return m.GetAccessTokenContext(context.Background())
}

func (m managedToken) GetAccessTokenContext(ctx context.Context) (string, error) {
	return m.c.tokens.get(ctx, m.appID)
}

// noCache satisfies the SDK's cache.Cache; nothing we call uses it.
type noCache struct{}

func (noCache) Get(string) any                       { return nil }
func (noCache) Set(string, any, time.Duration) error { return nil }
func (noCache) IsExist(string) bool                  { return false }
func (noCache) Delete(string) error                  { return nil }

// flexString decodes a JSON string or number: WeChat's countryCode is a
// string in real answers and a number in its documentation's example.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}
