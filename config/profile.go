package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/httpapi"
)

// Profile configures nicknames.
type Profile struct {
	// ContentCheck sends every new nickname to WeChat's msg_sec_check first.
	ContentCheck bool `toml:"content_check"`
}

// Avatar configures avatar uploads and where they are kept.
type Avatar struct {
	MaxBytes ByteSize `toml:"max_bytes"` // largest file accepted (413 past it)
	// Store is empty for the data dir (<data.dir>/avatars, served at
	// /avatars/{name}) or s3://bucket?endpoint=HOST:PORT&region=R.
	Store string `toml:"store"`
	// PublicURL is where avatars are read from with an S3 store: URLs are
	// <public_url>/avatars/<name>. Required with s3://.
	PublicURL    string   `toml:"public_url"`
	DecodeMemory ByteSize `toml:"decode_memory"` // memory that concurrent image decodes may take together
	DecodeWait   Duration `toml:"decode_wait"`   // how long an upload waits for its turn (503 past it)
	StoreTimeout Duration `toml:"store_timeout"` // per call to the store

	// Credentials of an S3 store come from the usual AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, never from the file.
	Credentials S3Credentials `toml:"-"`
}

// S3Credentials are the keys of an S3 store's user.
type S3Credentials struct {
	AccessKey, SecretKey, SessionToken string
}

// readAWSCredentials fills in the S3 credentials from environ.
func (c *Config) readAWSCredentials(environ []string) {
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		switch name {
		case "AWS_ACCESS_KEY_ID":
			c.Avatar.Credentials.AccessKey = value
		case "AWS_SECRET_ACCESS_KEY":
			c.Avatar.Credentials.SecretKey = value
		case "AWS_SESSION_TOKEN":
			c.Avatar.Credentials.SessionToken = value
		}
	}
}

// Defaults of the profile settings.
const (
	DefaultAvatarDecodeMemory = 256 << 20
	DefaultAvatarDecodeWait   = 20 * time.Second
	minAvatarDecodeMemory     = 16 << 20
)

func defaultAvatar() Avatar {
	return Avatar{
		MaxBytes:     httpapi.DefaultAvatarMaxBytes,
		DecodeMemory: DefaultAvatarDecodeMemory,
		DecodeWait:   Duration{DefaultAvatarDecodeWait},
		StoreTimeout: Duration{miniauth.DefaultAvatarStoreTimeout},
	}
}

// AvatarsInS3 reports whether avatars go to an S3-compatible store.
func (c Config) AvatarsInS3() bool { return strings.HasPrefix(c.Avatar.Store, "s3://") }

func (c Config) validateProfile(bad problemFunc) {
	a := c.Avatar
	if a.MaxBytes < 1024 || a.MaxBytes > 64<<20 {
		bad("avatar.max_bytes", "must be between 1KiB and 64MiB")
	}
	if a.DecodeMemory < minAvatarDecodeMemory {
		bad("avatar.decode_memory", "must be at least 16MiB")
	}
	if a.DecodeWait.Duration <= 0 {
		bad("avatar.decode_wait", "must be positive")
	}
	if a.StoreTimeout.Duration <= 0 {
		bad("avatar.store_timeout", "must be positive")
	}
	if a.Store != "" {
		if u, err := url.Parse(a.Store); err != nil || u.Scheme != "s3" || u.Host == "" {
			bad("avatar.store", "must be empty (the data dir) or s3://bucket?endpoint=host:port&region=r")
		}
	}
	if c.AvatarsInS3() && a.PublicURL == "" {
		bad("avatar.public_url", "is required when avatar.store is an S3 bucket")
	}
	if c.AvatarsInS3() && (a.Credentials.AccessKey == "" || a.Credentials.SecretKey == "") {
		bad("avatar.store", "an S3 bucket needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
	}
	if a.PublicURL != "" && !isHTTPURL(a.PublicURL) {
		bad("avatar.public_url", "must be an http(s) URL")
	}
	if c.HTTP.PublicURL != "" && !isHTTPURL(c.HTTP.PublicURL) {
		bad("http.public_url", "must be an http(s) URL")
	}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}
