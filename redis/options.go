package redis

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"github.com/miniauth/miniauth"
	goredis "github.com/redis/go-redis/v9"
)

// topology is the shape of the Redis deployment that the URL names.
type topology int

const (
	topologySingle   topology = iota // one server: redis://host:port/db
	topologyCluster                  // Redis Cluster: more than one addr, or cluster=true
	topologySentinel                 // a master found through Sentinel: master_name=...
)

func (t topology) String() string {
	return [...]string{"single server", "Redis Cluster", "Sentinel"}[t]
}

// parseURL turns the URL into go-redis options with our defaults. It takes
// go-redis's own URL forms and chooses the client as go-redis's universal
// client does:
//
//	redis://[user:password@]host:port/db                        one server (ParseURL)
//	redis://[user:password@]host1:port1?addr=host2:port2&addr=… Redis Cluster (ParseClusterURL);
//	                                                            cluster=true for a single seed address
//	redis://[suser:spassword@]sentinel1:port1/db?master_name=mymaster&addr=sentinel2:port2&password=…
//	                                                            Sentinel (ParseFailoverURL): the user
//	                                                            info is the Sentinels', username= and
//	                                                            password= are the Redis servers'
//
// rediss:// turns TLS on in each form. Its errors never contain a password.
func parseURL(rawURL string) (*goredis.UniversalOptions, topology, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, 0, miniauth.Errorf(miniauth.EInvalidRequest, "redis: the URL does not parse (want redis://host:port/db)")
	}
	q := u.Query()
	topo := topologySingle
	switch {
	case q.Has("master_name"):
		topo = topologySentinel
		if q.Has("cluster") {
			return nil, 0, badURL(u, errors.New("cluster and master_name exclude each other"))
		}
	case q.Has("addr") || q.Has("cluster"):
		topo = topologyCluster
	}

	uo, err := parseForTopology(u, topo)
	if err != nil {
		// go-redis's own messages name the scheme, path or option at
		// fault, never the credentials.
		return nil, 0, badURL(u, err)
	}
	applyDefaults(uo, q)
	return uo, topo, nil
}

// parseForTopology lets go-redis's parser of the topology read the URL and
// carries its result over into universal options.
func parseForTopology(u *url.URL, topo topology) (*goredis.UniversalOptions, error) {
	uo := &goredis.UniversalOptions{}
	switch topo {
	case topologyCluster:
		cu := *u
		q := cu.Query()
		if v := q.Get("cluster"); q.Has("cluster") && v != "true" {
			return nil, fmt.Errorf("cluster=%s: only cluster=true is meaningful", v)
		}
		q.Del("cluster")
		cu.RawQuery = q.Encode()
		if p := strings.Trim(cu.Path, "/"); p != "" && p != "0" {
			return nil, errors.New("Redis Cluster has database 0 only; leave the path empty")
		}
		cu.Path = ""
		co, err := goredis.ParseClusterURL(cu.String())
		if err != nil {
			return nil, err
		}
		copyCommonOptions(uo, co)
		uo.Addrs, uo.IsClusterMode = co.Addrs, true
	case topologySentinel:
		fo, err := goredis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, err
		}
		if fo.MasterName == "" {
			return nil, errors.New("master_name is empty")
		}
		copyCommonOptions(uo, fo)
		uo.Addrs = fo.SentinelAddrs
	default:
		o, err := goredis.ParseURL(u.String())
		if err != nil {
			return nil, err
		}
		copyCommonOptions(uo, o)
		uo.Addrs = []string{o.Addr}
	}
	return uo, nil
}

// copyCommonOptions copies every field of src (go-redis's Options,
// ClusterOptions or FailoverOptions) that UniversalOptions has under the same
// name and type: the settings go-redis reads from a URL. Doing it by name
// keeps up with options that later go-redis versions learn to parse.
func copyCommonOptions(dst *goredis.UniversalOptions, src any) {
	d := reflect.ValueOf(dst).Elem()
	s := reflect.ValueOf(src).Elem()
	for i := range d.NumField() {
		f := d.Type().Field(i)
		sv := s.FieldByName(f.Name)
		if f.IsExported() && sv.IsValid() && sv.Type() == f.Type && !sv.IsZero() {
			d.Field(i).Set(sv)
		}
	}
}

// applyDefaults sets our defaults for whatever the URL's query leaves out.
func applyDefaults(uo *goredis.UniversalOptions, q url.Values) {
	set := func(name string, apply func()) {
		if !q.Has(name) {
			apply()
		}
	}
	set("dial_timeout", func() { uo.DialTimeout = dialTimeout })
	set("read_timeout", func() { uo.ReadTimeout = readTimeout })
	set("write_timeout", func() { uo.WriteTimeout = writeTimeout })
	set("pool_timeout", func() { uo.PoolTimeout = poolTimeout })
	set("pool_size", func() { uo.PoolSize = poolSize })
	set("min_idle_conns", func() { uo.MinIdleConns = minIdleConns })
	// No retries: most of our writes are scripts that must not run twice
	// (INCR of a fence), and a retry after a timeout doubles the time a
	// request waits on a Redis that is already in trouble. Stale pooled
	// connections after a Redis restart are weeded out by go-redis's
	// health check when they are taken from the pool. (A cluster client
	// still follows MOVED and ASK redirections: those are not retries.)
	set("max_retries", func() { uo.MaxRetries = -1 })
	// One dial attempt per call (go-redis's default is 5, each up to
	// DialTimeout): a Redis that refuses connections fails the call at once.
	uo.DialerRetries = 1
	// Respect the request's deadline when it is shorter than ours.
	uo.ContextTimeoutEnabled = true
	// CLIENT SETINFO is noise in logs of servers that lack it, and we gain
	// nothing from it.
	uo.DisableIdentity = true
	// RESP2: we use no RESP3 feature (no client-side caching, pub/sub works
	// in both), and with RESP3 go-redis looks for pending push
	// notifications before every reply, some 7% of a verify's CPU.
	set("protocol", func() { uo.Protocol = 2 })
}

func badURL(u *url.URL, err error) error {
	return miniauth.WrapError(miniauth.EInvalidRequest, "redis: bad URL "+redact(u), err)
}

// redactURL returns the URL with its passwords masked, for messages.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return redact(u)
}

// redact masks the user info's password and the password parameters of
// the Sentinel form.
func redact(u *url.URL) string {
	r := *u
	q := r.Query()
	changed := false
	for _, name := range []string{"password", "sentinel_password"} {
		if q.Has(name) {
			q.Set(name, "xxxxx")
			changed = true
		}
	}
	if changed {
		r.RawQuery = q.Encode()
	}
	return r.Redacted()
}
