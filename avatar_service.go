package miniauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
)

var errNoAvatars = Errorf(ENotFound, "avatars are not configured on this server")

// SetAvatar processes an uploaded image (ImageProcessor), stores it under
// the SHA-256 of the stored bytes and sets the user's avatar URL to it. r is
// the image's bytes; the caller bounds their size.
//
// Errors: EInvalidRequest (not a PNG, JPEG or WebP, too large in pixels,
// undecodable), EUnauthorized, EUpstreamUnavailable (the store failed or
// timed out), ENotFound (no avatar store configured).
func (s *Service) SetAvatar(ctx context.Context, session *Session, r io.Reader) (*User, error) {
	av := s.opts.Avatars
	if av.Store == nil || av.Processor == nil {
		return nil, errNoAvatars
	}
	img, err := av.Processor.Process(ctx, r)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(img.Data)
	a := &Avatar{Name: hex.EncodeToString(sum[:]) + "." + img.Ext, ContentType: img.ContentType, Data: img.Data}
	err = s.withStoreDeadline(ctx, func(ctx context.Context) error { return av.Store.Put(ctx, a) })
	if err != nil {
		return nil, err
	}
	url := strings.TrimSuffix(av.BaseURL, "/") + AvatarPath + a.Name
	return s.updateUser(ctx, session, UserUpdate{AvatarURL: &url, UpdatedAt: s.opts.Now()})
}

// Avatar returns a stored avatar by name, for serving it.
//
// Errors: ENotFound (a malformed or unknown name, or no store),
// EUpstreamUnavailable.
func (s *Service) Avatar(ctx context.Context, name string) (*Avatar, error) {
	if s.opts.Avatars.Store == nil {
		return nil, errNoAvatars
	}
	if !ValidAvatarName(name) {
		return nil, Errorf(ENotFound, "no such avatar")
	}
	var a *Avatar
	err := s.withStoreDeadline(ctx, func(ctx context.Context) error {
		var err error
		a, err = s.opts.Avatars.Store.Get(ctx, name)
		return err
	})
	return a, err
}

// withStoreDeadline runs fn with the store's deadline. A call that ran out
// of time is upstream_unavailable whatever the store made of it.
func (s *Service) withStoreDeadline(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Avatars.StoreTimeout)
	defer cancel()
	err := fn(ctx)
	if err != nil && ErrorCode(err) == EInternal && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return WrapError(EUpstreamUnavailable, "the avatar store did not answer in time", err)
	}
	return err
}

// ValidAvatarName reports whether name is one that SetAvatar makes: 64
// lower-case hex digits, ".jpg" or ".png".
func ValidAvatarName(name string) bool {
	base, ext, ok := strings.Cut(name, ".")
	if !ok || (ext != "jpg" && ext != "png") || len(base) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// AvatarContentType is the Content-Type of an avatar name's extension.
func AvatarContentType(name string) string {
	if strings.HasSuffix(name, ".png") {
		return "image/png"
	}
	return "image/jpeg"
}
