package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/avatarstore"
	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/httpapi"
	"github.com/miniauth/miniauth/imaging"
	"github.com/miniauth/miniauth/s3"
)

// openAvatars picks the avatar store: an S3 bucket when avatar.store names
// one (URLs under avatar.public_url, and a readiness check), else
// <data.dir>/avatars served by this server (URLs under http.public_url, or
// the host of each request when it is unset).
func openAvatars(cfg config.Config) (miniauth.AvatarOptions, []httpapi.Check, error) {
	a := cfg.Avatar
	opts := miniauth.AvatarOptions{
		Processor:    imaging.New(imaging.Options{DecodeMemory: int64(a.DecodeMemory), DecodeWait: a.DecodeWait.Duration}),
		StoreTimeout: a.StoreTimeout.Duration,
	}
	if cfg.AvatarsInS3() {
		st, err := s3.Open(a.Store, s3.Credentials(a.Credentials))
		if err != nil {
			return opts, nil, fmt.Errorf("avatar.store: %w", err)
		}
		opts.Store, opts.BaseURL = st, strings.TrimSuffix(a.PublicURL, "/")
		return opts, []httpapi.Check{{Name: "avatar store", Ping: st.Ping}}, nil
	}
	dir, err := avatarstore.OpenDir(filepath.Join(cfg.Data.Dir, "avatars"))
	if err != nil {
		return opts, nil, fmt.Errorf("avatars in the data dir: %w", err)
	}
	opts.Store, opts.BaseURL = dir, strings.TrimSuffix(cfg.HTTP.PublicURL, "/")
	return opts, nil, nil
}
