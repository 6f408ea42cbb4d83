package redis

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

func TestParseURLDefaults(t *testing.T) {
	tests := []struct {
		url              string
		read, dial       time.Duration
		pool, maxRetries int
		db               int
		wantAddrs        []string
		wantTopo         topology
	}{
		{url: "redis://127.0.0.1:6379/0", read: readTimeout, dial: dialTimeout, pool: poolSize, maxRetries: -1, wantAddrs: []string{"127.0.0.1:6379"}},
		{url: "redis://:pw@10.0.0.1:6380/3", read: readTimeout, dial: dialTimeout, pool: poolSize, maxRetries: -1, db: 3, wantAddrs: []string{"10.0.0.1:6380"}},
		// The URL's own settings win over ours.
		{url: "redis://h:1/0?read_timeout=2s&dial_timeout=3s&pool_size=7&max_retries=2", read: 2 * time.Second, dial: 3 * time.Second, pool: 7, maxRetries: 2, wantAddrs: []string{"h:1"}},
		// Redis Cluster: go-redis's ParseClusterURL form.
		{url: "redis://:pw@h1:7000?addr=h2:7001&addr=h3:7002&read_timeout=2s", read: 2 * time.Second, dial: dialTimeout, pool: poolSize, maxRetries: -1,
			wantAddrs: []string{"h1:7000", "h2:7001", "h3:7002"}, wantTopo: topologyCluster},
		{url: "rediss://cfg.example:6379/0?cluster=true", read: readTimeout, dial: dialTimeout, pool: poolSize, maxRetries: -1,
			wantAddrs: []string{"cfg.example:6379"}, wantTopo: topologyCluster},
		// Sentinel: go-redis's ParseFailoverURL form.
		{url: "redis://s1:26379/2?master_name=mymaster&addr=s2:26379&addr=s3:26379&password=pw&pool_size=9", read: readTimeout, dial: dialTimeout, pool: 9, maxRetries: -1, db: 2,
			wantAddrs: []string{"s1:26379", "s2:26379", "s3:26379"}, wantTopo: topologySentinel},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			o, topo, err := parseURL(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if topo != tt.wantTopo {
				t.Errorf("topology %v, want %v", topo, tt.wantTopo)
			}
			if !slices.Equal(o.Addrs, tt.wantAddrs) || o.DB != tt.db || o.ReadTimeout != tt.read || o.DialTimeout != tt.dial ||
				o.PoolSize != tt.pool || o.MaxRetries != tt.maxRetries || o.DialerRetries != 1 || !o.ContextTimeoutEnabled {
				t.Errorf("options: addrs %v db %d read %v dial %v pool %d retries %d dialer retries %d ctx %v",
					o.Addrs, o.DB, o.ReadTimeout, o.DialTimeout, o.PoolSize, o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled)
			}
		})
	}
}

func TestParseURLCredentials(t *testing.T) {
	o, _, err := parseURL("redis://u:pw@h:1/0")
	must(t, err)
	if o.Username != "u" || o.Password != "pw" || o.SentinelPassword != "" {
		t.Errorf("single: %q %q %q", o.Username, o.Password, o.SentinelPassword)
	}
	o, _, err = parseURL("redis://su:spw@s1:26379?master_name=m&username=u&password=pw")
	must(t, err)
	if o.MasterName != "m" || o.Username != "u" || o.Password != "pw" || o.SentinelUsername != "su" || o.SentinelPassword != "spw" {
		t.Errorf("sentinel: %+v", o)
	}
	o, _, err = parseURL("redis://u:pw@h1:1?addr=h2:2")
	must(t, err)
	if !o.IsClusterMode || o.Username != "u" || o.Password != "pw" {
		t.Errorf("cluster: %+v", o)
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, raw := range []string{
		"http://u:s3cret@h:1/0",
		"redis://u:s3cret@h:1/notanumber",
		"redis://u:s3cret@h1:1/3?addr=h2:2",                       // a cluster has database 0 only
		"redis://u:s3cret@h1:1?addr=h2",                           // no port
		"redis://u:s3cret@h1:1?cluster=yes",                       // only true
		"redis://u:s3cret@h1:1?cluster=true&master_name=m",        // which one?
		"redis://s1:1?master_name=&password=s3cret",               // empty master name
		"redis://s1:1?master_name=m&password=s3cret&unknown=1",    // unknown option
		"redis://s1:1/0/1?master_name=m&sentinel_password=s3cret", // bad path
	} {
		_, _, err := parseURL(raw)
		if miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
			t.Errorf("parseURL(%q) = %v, want invalid_request", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://u:s3cret@h:1/0":                         "redis://u:xxxxx@h:1/0",
		"redis://s1:1/0?master_name=m&password=s3cret":   "redis://s1:1/0?master_name=m&password=xxxxx",
		"redis://:s3cret@h1:1?addr=h2:2&read_timeout=1s": "redis://:xxxxx@h1:1?addr=h2:2&read_timeout=1s",
	} {
		if got := redactURL(raw); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

// RESP2 unless the URL asks for another protocol, in every topology.
func TestParseURLProtocol(t *testing.T) {
	for url, want := range map[string]int{
		"redis://h:1/0":                               2,
		"redis://h:1/0?protocol=3":                    3,
		"redis://h1:7000?addr=h2:7001":                2,
		"redis://h1:7000?addr=h2:7001&protocol=3":     3,
		"redis://s1:26379/0?master_name=m":            2,
		"redis://s1:26379/0?master_name=m&protocol=3": 3,
	} {
		o, _, err := parseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		if o.Protocol != want {
			t.Errorf("%s: protocol %d, want %d", url, o.Protocol, want)
		}
	}
}
