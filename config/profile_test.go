package config_test

import (
	"strings"
	"testing"

	"github.com/miniauth/miniauth/config"
)

func TestProfileSettings(t *testing.T) {
	cfg := loadDefaults(t)
	if cfg.Avatar.MaxBytes != 1<<20 || cfg.Profile.ContentCheck || cfg.AvatarsInS3() {
		t.Fatalf("defaults: %+v %+v", cfg.Avatar, cfg.Profile)
	}
	s3 := "MINIAUTH_AVATAR_STORE=s3://bucket?endpoint=127.0.0.1:9000&region=us-east-1"
	keys := []string{"AWS_ACCESS_KEY_ID=ak", "AWS_SECRET_ACCESS_KEY=sk"}
	tests := []struct {
		name string
		env  []string
		bad  string // the key named in the error; "" for none
	}{
		{"max bytes at its minimum", []string{"MINIAUTH_AVATAR_MAX_BYTES=1KiB"}, ""},
		{"max bytes below it", []string{"MINIAUTH_AVATAR_MAX_BYTES=1023"}, "avatar.max_bytes"},
		{"max bytes at its maximum", []string{"MINIAUTH_AVATAR_MAX_BYTES=64MiB"}, ""},
		{"max bytes above it", []string{"MINIAUTH_AVATAR_MAX_BYTES=67108865"}, "avatar.max_bytes"},
		{"decode memory at its minimum", []string{"MINIAUTH_AVATAR_DECODE_MEMORY=16MiB"}, ""},
		{"decode memory below it", []string{"MINIAUTH_AVATAR_DECODE_MEMORY=15MiB"}, "avatar.decode_memory"},
		{"store timeout zero", []string{"MINIAUTH_AVATAR_STORE_TIMEOUT=0s"}, "avatar.store_timeout"},
		{"s3 with a public URL", append([]string{s3, "MINIAUTH_AVATAR_PUBLIC_URL=https://cdn.example.com"}, keys...), ""},
		{"s3 without one", append([]string{s3}, keys...), "avatar.public_url"},
		{"s3 without keys", []string{s3, "MINIAUTH_AVATAR_PUBLIC_URL=https://cdn.example.com"}, "avatar.store"},
		{"not s3", []string{"MINIAUTH_AVATAR_STORE=ftp://x"}, "avatar.store"},
		{"public URL not http", []string{"MINIAUTH_HTTP_PUBLIC_URL=auth.example.com"}, "http.public_url"},
		{"public URL", []string{"MINIAUTH_HTTP_PUBLIC_URL=https://auth.example.com"}, ""},
		{"content check", []string{"MINIAUTH_PROFILE_CONTENT_CHECK=true"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := config.Load("", tt.env)
			if tt.bad == "" && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.bad != "" && (err == nil || !strings.Contains(err.Error(), "("+tt.bad+")")) {
				t.Fatalf("err = %v; want one naming %s", err, tt.bad)
			}
		})
	}
}
