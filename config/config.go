// Package config loads miniauth's configuration: defaults, then an optional
// TOML file, then MINIAUTH_<SECTION>_<KEY> environment variables, then
// validation that names every wrong key on a line of its own.
package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/httpapi"
	"github.com/miniauth/miniauth/jose"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/sqlite"
	"github.com/miniauth/miniauth/wechat"
)

// Config is the whole configuration. The toml tags are also the environment
// names: section "wechat", key "base_url" is MINIAUTH_WECHAT_BASE_URL.
type Config struct {
	HTTP   HTTP   `toml:"http"`
	Data   Data   `toml:"data"`
	DB     DB     `toml:"db"`
	Redis  Redis  `toml:"redis"`
	WeChat WeChat `toml:"wechat"`
	// PlatformApps are [[apps]] (TOML only): apps of every platform.
	PlatformApps []App   `toml:"apps"`
	Tokens       Tokens  `toml:"tokens"`
	Admin        Admin   `toml:"admin"`
	Log          Log     `toml:"log"`
	Profile      Profile `toml:"profile"`
	Avatar       Avatar  `toml:"avatar"`
	Console      Console `toml:"console"`

	Throttle Throttle `toml:"throttle"`
	WebLogin WebLogin `toml:"web_login"`
	Events   Events   `toml:"events"`
	Debug    Debug    `toml:"debug"`
}

type HTTP struct {
	Addr            string   `toml:"addr"`
	BodyLimit       ByteSize `toml:"body_limit"`
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	TrustedProxies  []string `toml:"trusted_proxies"`
	AuthRate        float64  `toml:"auth_rate"`  // logins+refreshes per second per IP; 0: no limit
	AuthBurst       int      `toml:"auth_burst"` // bucket size of that limit

	// Connections: at most MaxConns open (the longest idle is closed to make
	// room), a request header within ReadHeaderTimeout, an idle keep-alive
	// connection closed after IdleTimeout.
	MaxConns          int      `toml:"max_conns"`
	ReadHeaderTimeout Duration `toml:"read_header_timeout"`
	IdleTimeout       Duration `toml:"idle_timeout"`
	// PublicURL is how clients and browsers reach this server
	// (https://auth.example.com): avatar URLs start with it, and https makes
	// the console's cookies Secure. Empty: the host of each request.
	PublicURL string `toml:"public_url"`
}

// Defaults of the HTTP server's connection handling.
const (
	// DefaultMaxConns is far below the file descriptors a process gets
	// (Go raises the soft limit to the hard one, often 1M; at least 1,024),
	// and far above what a node serves well at once. Where the limit is
	// lower, serve lowers the cap to leave room for the stores.
	DefaultMaxConns = 4096
	// DefaultReadHeaderTimeout: a client sends its header at once; a slow
	// one holds a connection.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultIdleTimeout is longer than the 60 s for which nginx and most
	// gateways keep idle upstream connections, so that the gateway, not
	// miniauth, closes them (no request is lost in the race).
	DefaultIdleTimeout = 75 * time.Second
)

type Data struct {
	Dir string `toml:"dir"`
}

type DB struct {
	URL     string   `toml:"url"`
	Timeout Duration `toml:"timeout"` // per call to the database
	// WriteBatch is how many callers' writes SQLite may commit as one
	// (group commit); 1 commits each alone. Other engines ignore it.
	WriteBatch int `toml:"write_batch"`
	// WriteDelay is how long such a batch, once it holds more than one
	// write, waits for more before it commits; 0 (the default) commits at
	// once. See sqlite.Options.WriteDelay.
	WriteDelay Duration `toml:"write_delay"`
}

type Redis struct {
	URL     string   `toml:"url"`
	Timeout Duration `toml:"timeout"` // per call to Redis
	// RequireAOF refuses to start on a Redis without appendonly, whose
	// restart loses acknowledged sessions.
	RequireAOF bool `toml:"require_aof"`
	// ClockSkew is how far apart the nodes' clocks may be; it widens the
	// window of sessions checked against the database after a Redis restart.
	ClockSkew Duration `toml:"clock_skew"`
	// WaitReplicas > 0 makes every session write wait until that many
	// replicas have it (Redis WAIT) and answer 503 when they do not
	// within WaitTimeout; 0 does not wait. Not with Redis Cluster.
	WaitReplicas int      `toml:"wait_replicas"`
	WaitTimeout  Duration `toml:"wait_timeout"`
	// ReadBatch is how many lookups of sessions by access token may share
	// one round trip; 1 sends each alone.
	ReadBatch int `toml:"read_batch"`
}

// Bounds of db.timeout and redis.timeout: below 10ms a busy but healthy
// store fails requests; past a minute clients and proxies gave up long ago.
const (
	minStoreTimeout = 10 * time.Millisecond
	maxStoreTimeout = time.Minute
)

// maxWriteDelay bounds db.write_delay: every write under load waits it.
const maxWriteDelay = 50 * time.Millisecond

// maxWriteBatch bounds db.write_batch: a batch is one transaction, and
// past a thousand writes its commit only delays the first of them.
const maxWriteBatch = 1000

// maxReadBatch bounds redis.read_batch: past a thousand lookups a round
// trip only delays the first of them.
const maxReadBatch = 1000

type WeChat struct {
	AppID     string   `toml:"appid"`
	Secret    string   `toml:"secret"`
	Apps      []App    `toml:"apps"` // TOML only: [[wechat.apps]]
	BaseURL   string   `toml:"base_url"`
	Simulator bool     `toml:"simulator"`
	Timeout   Duration `toml:"timeout"`
	TokenMode string   `toml:"token_mode"` // stable or classic
}

// App is one mini program, on one platform (apps.go).
type App struct {
	Platform            string   `toml:"platform"`               // default weixin
	AppID               string   `toml:"appid"`                  // Baidu: the App Key
	Secret              string   `toml:"secret"`                 // not for Alipay
	PrivateKeyFile      string   `toml:"private_key_file"`       // Alipay: the app's private key (PEM)
	AlipayPublicKeyFile string   `toml:"alipay_public_key_file"` // Alipay: Alipay's public key (PEM)
	BaseURL             string   `toml:"base_url"`               // default: the platform's API host; WeChat apps use wechat.base_url
	Timeout             Duration `toml:"timeout"`                // default: wechat.timeout
}

type Tokens struct {
	AccessTTL  Duration `toml:"access_ttl"`
	RefreshTTL Duration `toml:"refresh_ttl"`
	CacheTTL   Duration `toml:"cache_ttl"` // how long verify trusts a session without asking the store
	// ProfileTTL is how long /me trusts an account when Redis carries every
	// change to every node, or the SQLite file tells of every other
	// process's write (then verify trusts a session as long, at most
	// TouchInterval); on PostgreSQL or MySQL alone, at most CacheTTL.
	ProfileTTL Duration `toml:"profile_ttl"`
	// CacheEntries bounds the verify cache (and as many users for /me);
	// TouchQueue the sessions whose last use waits to be written.
	CacheEntries int `toml:"cache_entries"`
	TouchQueue   int `toml:"touch_queue"`
	// TouchInterval is how stale a session's last use may get before a
	// request writes it again.
	TouchInterval Duration `toml:"touch_interval"`

	Format     string `toml:"format"`      // opaque or jwt
	Issuer     string `toml:"issuer"`      // iss of JWTs; required with jwt outside dev mode
	SigningAlg string `toml:"signing_alg"` // EdDSA or ES256, for new keys
	// A signing key signs for KeyRotation. Every node reloads the keys every
	// KeyReload; the JWKS may be cached for JWKSMaxAge; a new key is published
	// JWKSMaxAge + 2 × KeyReload before it signs.
	KeyRotation Duration `toml:"key_rotation"`
	KeyReload   Duration `toml:"key_reload"`
	JWKSMaxAge  Duration `toml:"jwks_max_age"`
	// The AES-256 key (base64 or hex, 32 bytes) that seals the signing keys
	// in the database, or a file holding it. Dev mode keeps one in the data dir.
	KeyEncryptionKey     string `toml:"key_encryption_key"`
	KeyEncryptionKeyFile string `toml:"key_encryption_key_file"`
	// Seal: with a key encryption key (above; dev mode keeps one), opaque
	// access tokens carry their session's claims sealed under it, and
	// verify answers them without the session store. A sealing node reads
	// the feed of session endings every EndingsInterval.
	Seal            bool     `toml:"seal"`
	EndingsInterval Duration `toml:"endings_interval"`
	// Callers of /api/v1/auth/introspect present one of these (several, so
	// that they can be rotated). None: introspection refuses everyone.
	IntrospectionSecrets []string `toml:"introspection_secrets"`
	// RefreshReuseLeeway: a refresh token presented again less than this
	// after its rotation answers 401 without ending the session; 0 turns it off.
	RefreshReuseLeeway Duration `toml:"refresh_reuse_leeway"`
}

// JWT reports whether access tokens are signed JWTs.
func (t Tokens) JWT() bool { return t.Format == "jwt" }

// Sealed reports whether opaque access tokens carry sealed claims: tokens
// are opaque, sealing is on, and a key encryption key is set (dev mode
// keeps one).
func (c Config) Sealed() bool {
	t := c.Tokens
	return !t.JWT() && t.Seal && (t.KeyEncryptionKey != "" || t.KeyEncryptionKeyFile != "" || c.DevMode())
}

type Admin struct {
	Token string `toml:"token"` // enables /admin/v1; at least 32 characters
}

type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // json or text
}

// Defaults of the settings no other package has a default for.
const (
	DefaultAddr    = "127.0.0.1:8080"
	DefaultDataDir = "./data"
	// DefaultAuthBurst is the bucket of http.auth_rate, when that is set.
	DefaultAuthBurst       = 20
	DefaultShutdownTimeout = 15 * time.Second
)

// Default returns the configuration before any file or variable.
func Default() Config {
	return Config{
		HTTP: HTTP{
			Addr:            DefaultAddr,
			BodyLimit:       httpapi.DefaultBodyLimit,
			ShutdownTimeout: Duration{DefaultShutdownTimeout},
			// No per-IP limit unless asked for: behind a proxy that is not
			// in trusted_proxies every client shares one IP, and a default
			// limit would turn away real users.
			AuthRate:          0,
			AuthBurst:         DefaultAuthBurst,
			MaxConns:          DefaultMaxConns,
			ReadHeaderTimeout: Duration{DefaultReadHeaderTimeout},
			IdleTimeout:       Duration{DefaultIdleTimeout},
		},
		Data: Data{Dir: DefaultDataDir},
		DB:   DB{Timeout: Duration{miniauth.DefaultDBTimeout}, WriteBatch: sqlite.DefaultWriteBatch},
		Redis: Redis{RequireAOF: true, ClockSkew: Duration{miniauth.DefaultClockSkew},
			WaitTimeout: Duration{redis.DefaultWaitTimeout}, Timeout: Duration{miniauth.DefaultRedisTimeout},
			ReadBatch: redis.DefaultReadBatch},
		WeChat: WeChat{BaseURL: wechat.DefaultBaseURL, Timeout: Duration{wechat.DefaultTimeout}, TokenMode: wechat.ModeStable},
		Tokens: Tokens{
			AccessTTL:  Duration{miniauth.DefaultAccessTTL},
			RefreshTTL: Duration{miniauth.DefaultRefreshTTL},
			CacheTTL:   Duration{miniauth.DefaultCacheTTL},
			ProfileTTL: Duration{miniauth.DefaultProfileTTL},

			CacheEntries:  miniauth.DefaultCacheEntries,
			TouchQueue:    miniauth.DefaultTouchQueue,
			TouchInterval: Duration{miniauth.DefaultTouchInterval},
			Format:        "opaque",
			SigningAlg:    jose.DefaultAlgorithm,
			KeyRotation:   Duration{jose.DefaultRotation},
			KeyReload:     Duration{jose.DefaultReloadInterval},
			JWKSMaxAge:    Duration{jose.DefaultJWKSMaxAge},

			Seal:            true,
			EndingsInterval: Duration{miniauth.DefaultEndingsInterval},

			RefreshReuseLeeway: Duration{miniauth.DefaultRefreshReuseLeeway},
		},
		Log:      Log{Level: "info", Format: "json"},
		Console:  defaultConsole(),
		Throttle: defaultThrottle(),
		Avatar:   defaultAvatar(),
		WebLogin: defaultWebLogin(),
		Events:   defaultEvents(),
	}
}

// Load reads the optional TOML file at path ("" for none) and the
// MINIAUTH_* variables of environ (as os.Environ gives them), and validates
// the result. The error lists every mistake, one per line. Warnings are for
// things that work but are probably not meant (an unknown MINIAUTH_ variable).
func Load(path string, environ []string) (cfg Config, warnings []string, err error) {
	cfg = Default()
	var problems []string
	if path != "" {
		problems = append(problems, loadFile(path, &cfg)...)
	}
	envProblems, warnings := applyEnv(&cfg, environ)
	problems = append(problems, envProblems...)
	cfg.readAWSCredentials(environ)
	problems = append(problems, cfg.validate()...)
	if len(problems) > 0 {
		return cfg, warnings, errors.New(strings.Join(problems, "\n"))
	}
	return cfg, warnings, nil
}

func loadFile(path string, cfg *Config) []string {
	md, err := toml.DecodeFile(path, cfg)
	if err != nil {
		return []string{fmt.Sprintf("config file %s: %v", path, err)}
	}
	var problems []string
	for _, key := range md.Undecoded() {
		problems = append(problems, fmt.Sprintf("config file %s: unknown key %s", path, key))
	}
	return problems
}

// Apps is the list of configured mini programs: the single app of
// wechat.appid/secret first, then [[wechat.apps]], then [[apps]], each with
// its platform filled in. Empty means dev mode.
func (c Config) Apps() []App {
	var apps []App
	for _, a := range c.namedApps() {
		apps = append(apps, a.App)
	}
	return apps
}

// DevMode reports whether no app is configured: the embedded default, with
// the simulator standing in for WeChat.
func (c Config) DevMode() bool { return len(c.Apps()) == 0 }

// DatabaseURL is db.url, or SQLite in the data dir.
func (c Config) DatabaseURL() string {
	if c.DB.URL != "" {
		return c.DB.URL
	}
	path, err := filepath.Abs(filepath.Join(c.Data.Dir, "miniauth.db"))
	if err != nil {
		path = filepath.Join(c.Data.Dir, "miniauth.db")
	}
	return "sqlite://" + filepath.ToSlash(path)
}
