package redis

import (
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

func TestParseURLDefaults(t *testing.T) {
	tests := []struct {
		url               string
		read, dial        time.Duration
		pool, maxRetries  int
		db                int
		wantErr, wantAddr string
	}{
		{url: "redis://127.0.0.1:6379/0", read: readTimeout, dial: dialTimeout, pool: poolSize, maxRetries: -1, wantAddr: "127.0.0.1:6379"},
		{url: "redis://:pw@10.0.0.1:6380/3", read: readTimeout, dial: dialTimeout, pool: poolSize, maxRetries: -1, db: 3, wantAddr: "10.0.0.1:6380"},
		// The URL's own settings win over ours.
		{url: "redis://h:1/0?read_timeout=2s&dial_timeout=3s&pool_size=7&max_retries=2", read: 2 * time.Second, dial: 3 * time.Second, pool: 7, maxRetries: 2, wantAddr: "h:1"},
		{url: "http://h:1/0", wantErr: "invalid_request"},
		{url: "redis://h:1/notanumber", wantErr: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			o, err := parseURL(tt.url)
			if tt.wantErr != "" {
				if got := miniauth.ErrorCode(err); got != tt.wantErr {
					t.Fatalf("error %v, want code %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Addr != tt.wantAddr || o.DB != tt.db || o.ReadTimeout != tt.read || o.DialTimeout != tt.dial ||
				o.PoolSize != tt.pool || o.MaxRetries != tt.maxRetries || o.DialerRetries != 1 || !o.ContextTimeoutEnabled {
				t.Errorf("options: addr %s db %d read %v dial %v pool %d retries %d dialer retries %d ctx %v",
					o.Addr, o.DB, o.ReadTimeout, o.DialTimeout, o.PoolSize, o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled)
			}
		})
	}
}
