package miniauth

import (
	"context"
	"io"
	"time"
)

// Avatar is a stored avatar image.
type Avatar struct {
	Name        string // "<sha256 hex of Data>.<jpg|png>"
	ContentType string // "image/jpeg" or "image/png"
	Data        []byte
}

// AvatarStore keeps avatar images under content-addressed names, so that a
// name always stands for the same bytes and may be cached forever.
// Implementations: avatarstore.Dir (the data dir, served by miniauth) and
// s3.Store (any S3-compatible object store).
type AvatarStore interface {
	// Put stores a under a.Name. Putting a name that exists again is fine:
	// the bytes are the same.
	//
	// Errors: EUpstreamUnavailable.
	Put(ctx context.Context, a *Avatar) error

	// Get returns the avatar called name.
	//
	// Errors: ENotFound (unknown or malformed name), EUpstreamUnavailable.
	Get(ctx context.Context, name string) (*Avatar, error)
}

// ProcessedImage is an upload after ImageProcessor: decoded, scaled down
// and encoded again, without any metadata.
type ProcessedImage struct {
	Data        []byte
	Ext         string // "jpg" or "png"
	ContentType string // "image/jpeg" or "image/png"
}

// ImageProcessor turns uploaded bytes into the image that is stored. The
// imaging package implements it.
type ImageProcessor interface {
	// Process sniffs the type from the bytes (PNG, JPEG, WebP), checks the
	// dimensions in the header before decoding, decodes, scales down and
	// encodes again.
	//
	// Errors: EInvalidRequest (not one of the types, too wide or tall,
	// undecodable), EUpstreamUnavailable (ctx ended while waiting for a turn
	// to decode).
	Process(ctx context.Context, r io.Reader) (*ProcessedImage, error)
}

// AvatarOptions configure the avatar use case.
type AvatarOptions struct {
	Store     AvatarStore
	Processor ImageProcessor
	// BaseURL is what avatar URLs start with: "<BaseURL>/avatars/<name>".
	// Empty: the URL is the path alone ("/avatars/<name>") and the HTTP
	// layer makes it absolute with the host of each request.
	BaseURL string
	// StoreTimeout bounds each call to the store (default 5s).
	StoreTimeout time.Duration
}

// DefaultAvatarStoreTimeout bounds each call to the avatar store.
const DefaultAvatarStoreTimeout = 5 * time.Second

// AvatarPath is the path of an avatar under a base URL, and the route that
// serves avatars kept in the data dir.
const AvatarPath = "/avatars/"
