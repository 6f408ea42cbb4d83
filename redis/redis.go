// Package redis keeps miniauth's shared state in Redis, for deployments with
// several nodes: sessions (miniauth.SessionStore), session revocation events
// over pub/sub (miniauth.SessionEvents) and each app's WeChat access token
// with its refresh lock (miniauth.AccessTokenStore).
//
// Keys are safe for Redis Cluster: every Lua script touches keys of one hash
// slot only, chosen by a hash tag ({sessionID}, {userID}, {appID}). Keys that
// live in other slots are only pointers, and every read through a pointer is
// checked against the record it points to, so a stale pointer is harmless.
//
// It needs Redis 7.0 or newer (PEXPIRETIME, SET ... PXAT).
package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miniauth/miniauth"
	goredis "github.com/redis/go-redis/v9"
)

// Options tune a Client. The zero value is usable.
type Options struct {
	// KeyPrefix starts every key and the pub/sub channel, so that tests and
	// tenants can share one Redis. Default "miniauth:". It must not contain
	// '{' or '}', which would take over the hash tags.
	KeyPrefix string

	// Logger receives the subscriber's connection changes. Default
	// slog.Default().
	Logger *slog.Logger

	// InstanceSeen, when set, is called on every new connection, before
	// any command runs on it, with the server's run_id
	// (miniauth.TrustBoundary.InstanceSeen). Its error fails the connection.
	InstanceSeen func(ctx context.Context, runID string) error

	// AllowWithoutAOF lets Open accept a server without append-only
	// persistence (with a loud warning) instead of failing with ErrNoAOF.
	AllowWithoutAOF bool
	// WaitReplicas, when above 0, makes every session write wait until
	// that many replicas have it (WAIT on the connection of the write)
	// and fail as unavailable when they do not within WaitTimeout.
	// Replication is asynchronous: without it, a failover can lose
	// writes that a client was already told about. Not with Redis
	// Cluster.
	WaitReplicas int
	// WaitTimeout bounds that wait. Default DefaultWaitTimeout.
	WaitTimeout time.Duration
	// Timeout, when set, is the read and write timeout of every command
	// (the configuration's redis.timeout) unless the URL sets its own.
	Timeout time.Duration
	// ReadBatch is how many lookups of sessions by access token may share
	// one round trip (see accessReads). Default DefaultReadBatch; 1 sends
	// each alone. Not with Redis Cluster, where a lookup takes two.
	ReadBatch int
}

// DefaultKeyPrefix is the KeyPrefix used when Options leaves it empty.
const DefaultKeyPrefix = "miniauth:"

// DefaultWaitTimeout is the WaitTimeout used when Options leaves it zero: a
// replica on the same network acknowledges within milliseconds.
const DefaultWaitTimeout = 500 * time.Millisecond

// Connection defaults. They are short on purpose: Redis answers in well under
// a millisecond, so a call that takes longer than this is a Redis that is
// down or overloaded, and the request should fail fast with a 503 instead of
// piling up behind it.
const (
	dialTimeout  = time.Second
	readTimeout  = 500 * time.Millisecond
	writeTimeout = 500 * time.Millisecond
	poolTimeout  = time.Second
	// 10 per core for a 2-core node: requests need one connection for well
	// under a millisecond, so 20 carry thousands of requests a second.
	poolSize     = 20
	minIdleConns = 2
)

// minRedisMajor is the oldest Redis the scripts run on (PEXPIRETIME is 7.0).
const minRedisMajor = 7

// Client is a connection pool to one Redis server, a Redis Cluster or a
// Sentinel-managed master, and the stores built on it. It is safe for
// concurrent use.
type Client struct {
	rdb      goredis.UniversalClient
	topology topology
	keys     keys
	log      *slog.Logger
	wait     replicaWait

	sessions *sessionStore
	events   *sessionEvents
	tokens   *accessTokenStore

	webLoginEvents *sessionEvents // of scan-to-log-in tickets (weblogin.go)
}

// Open parses url, connects and pings once, so that a wrong address stops
// start-up with a clear error. The URL names one server, a Redis Cluster or
// a Sentinel-managed master, in go-redis's own URL forms (see parseURL).
// Settings given in the URL's query (dial_timeout, read_timeout,
// write_timeout, pool_size, max_retries...) win over the package's defaults.
func Open(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	uo, topo, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	// One deadline per call (redis.timeout): go-redis's own read and write
	// timeouts follow it unless the URL sets them, so that a busy Redis is
	// given the time the configuration allows, not less.
	if opts.Timeout > 0 {
		if uo.ReadTimeout == readTimeout {
			uo.ReadTimeout = opts.Timeout
		}
		if uo.WriteTimeout == writeTimeout {
			uo.WriteTimeout = opts.Timeout
		}
	}
	if opts.InstanceSeen != nil {
		uo.OnConnect = instanceHook(opts.InstanceSeen)
	}
	if opts.WaitReplicas > 0 && topo == topologyCluster {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest,
			"redis: waiting for replicas is not supported with Redis Cluster (a write spans several masters)")
	}
	c := &Client{
		rdb:      goredis.NewUniversalClient(uo),
		topology: topo,
		keys:     keys{prefix: opts.KeyPrefix},
		log:      opts.Logger,
		wait:     replicaWait{replicas: opts.WaitReplicas, timeout: opts.WaitTimeout},
	}
	c.sessions = &sessionStore{c: c}
	if topo != topologyCluster && opts.ReadBatch > 1 {
		c.sessions.reads = newAccessReads(c.sessions, opts.ReadBatch)
	}
	c.events = newEvents(c, keys.channel, "session events")
	c.webLoginEvents = newEvents(c, keys.webLoginChannel, "web login events")
	c.tokens = &accessTokenStore{c: c}
	if err := c.check(ctx, rawURL, opts.AllowWithoutAOF); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// withDefaults fills in Options' defaults and refuses what cannot work.
func (opts Options) withDefaults() (Options, error) {
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(opts.KeyPrefix, "{}") {
		return opts, miniauth.Errorf(miniauth.EInvalidRequest, "redis: key prefix %q must not contain '{' or '}'", opts.KeyPrefix)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.WaitReplicas < 0 {
		return opts, miniauth.Errorf(miniauth.EInvalidRequest, "redis: wait replicas must not be negative")
	}
	if opts.WaitReplicas > 0 && opts.WaitTimeout <= 0 {
		opts.WaitTimeout = DefaultWaitTimeout
	}
	if opts.ReadBatch < 0 {
		return opts, miniauth.Errorf(miniauth.EInvalidRequest, "redis: read batch must not be negative")
	}
	if opts.ReadBatch == 0 {
		opts.ReadBatch = DefaultReadBatch
	}
	return opts, nil
}

// check makes sure the server answers, is recent enough and keeps what it
// acknowledges (see checkPersistence); its errors say where it looked,
// without the password.
func (c *Client) check(ctx context.Context, rawURL string, allowWithoutAOF bool) error {
	err := c.checkServer(ctx)
	if err == nil {
		err = c.checkPersistence(ctx, allowWithoutAOF)
	}
	if err == nil || errors.Is(err, ErrNoAOF) {
		return err
	}
	where := redactURL(rawURL)
	if unavailable(err) {
		return miniauth.WrapError(miniauth.EUpstreamUnavailable, "cannot reach Redis at "+where, err)
	}
	return miniauth.WrapError(miniauth.EInternal, "unusable Redis at "+where, err)
}

// checkServer pings the server and checks that it is recent enough. Its
// errors are go-redis's own, for Open to classify.
func (c *Client) checkServer(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	info, err := c.rdb.Info(ctx, "server").Result()
	if err != nil {
		return fmt.Errorf("info: %w", err)
	}
	v := infoField(info, "redis_version")
	major, _, _ := strings.Cut(v, ".")
	if n, err := strconv.Atoi(major); err == nil && n < minRedisMajor {
		return fmt.Errorf("server version %s is too old, need %d.0 or newer", v, minRedisMajor)
	}
	return nil
}

// infoField returns the value of field in an INFO answer.
func infoField(info, field string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// Topology says what the URL named: "single server", "Redis Cluster" or
// "Sentinel".
func (c *Client) Topology() string { return c.topology.String() }

// Sessions returns the session store.
func (c *Client) Sessions() miniauth.SessionStore { return c.sessions }

// Events returns the session revocation events.
func (c *Client) Events() miniauth.SessionEvents { return c.events }

// AccessTokens returns the store of WeChat access tokens.
func (c *Client) AccessTokens() miniauth.AccessTokenStore { return c.tokens }

// Ping reports whether Redis answers.
func (c *Client) Ping(ctx context.Context) error {
	return wrapErr("ping", c.rdb.Ping(ctx).Err())
}

// Close closes the connections. Subscriptions end with an error and call
// reset until their context ends.
func (c *Client) Close() error {
	if c.sessions.reads != nil {
		c.sessions.reads.close()
	}
	return c.rdb.Close()
}

// keys makes every key name in one place, so that the slot of each can be
// read off here: the part between the first '{' and the next '}' decides it.
type keys struct{ prefix string }

// session is the hash with all fields of one session.
func (k keys) session(id string) string {
	before, after := k.sessionAffixes()
	return before + id + after
}

// sessionAffixes are what session puts before and after the id, for the
// script that builds the key from a pointer's value (sessionByAccess).
func (k keys) sessionAffixes() (before, after string) { return k.prefix + "s:{", "}" }

// rotated maps the session's rotated refresh hashes to when they were
// rotated (same slot).
func (k keys) rotated(id string) string { return k.prefix + "s:{" + id + "}:rot" }

// used is the set of rotated refresh hashes as written before rotated
// existed (same slot): still read and deleted.
func (k keys) used(id string) string { return k.prefix + "s:{" + id + "}:used" }

// access points from an access-token hash to its session id.
func (k keys) access(hash string) string { return k.prefix + "at:" + hash }

// refresh points from a refresh-token hash (current or rotated) to its
// session id.
func (k keys) refresh(hash string) string { return k.prefix + "rt:" + hash }

// user is the sorted set of a user's session ids, scored by creation (ms).
func (k keys) user(id string) string { return k.prefix + "u:{" + id + "}" }

// wx are the access-token keys of one app: token, lock, fence and force
// share the slot of {appID}.
func (k keys) wx(appID, what string) string { return k.prefix + "wx:{" + appID + "}:" + what }

// channel is the pub/sub channel of session changes.
func (k keys) channel() string { return k.prefix + "session-changed" }

// wrapErr turns a go-redis error into a miniauth error: Redis down,
// unreachable or too slow becomes EUpstreamUnavailable (a 503 that a client
// may retry), anything else EInternal. redis.Nil must be handled by the
// caller before, where it means "not found".
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	cause := fmt.Errorf("redis %s: %w", op, err)
	if unavailable(err) {
		return miniauth.WrapError(miniauth.EUpstreamUnavailable, "the shared store is unavailable; try again", cause)
	}
	return miniauth.WrapError(miniauth.EInternal, "shared store error", cause)
}

// unavailable reports whether err means that Redis could not be reached or
// could not serve the command right now, as opposed to a bug.
func unavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, goredis.ErrPoolTimeout),
		errors.Is(err, errTooFewReplicas),
		errors.Is(err, goredis.ErrClosed),
		ledgerUnavailable(err): // a new connection's instance check
		return true
	}
	// Server states in which it refuses work for a while: loading its data
	// set, a replica, a busy script, a failing disk, a cluster in failover.
	var re goredis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "MISCONF"} {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
	}
	return false
}

// ms is how times are kept: Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// errAttr logs an error. Our errors carry no secrets: go-redis errors name
// commands and addresses, never keys or values.
func errAttr(err error) slog.Attr { return slog.String("err", err.Error()) }
