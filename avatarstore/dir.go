// Package avatarstore keeps avatars as files in a directory (by default
// <data dir>/avatars), which miniauth serves itself at /avatars/{name}.
package avatarstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/miniauth/miniauth"
)

// Dir is a miniauth.AvatarStore over one directory.
type Dir struct {
	path string
}

var _ miniauth.AvatarStore = (*Dir)(nil)

// OpenDir creates the directory when needed.
func OpenDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	return &Dir{path: path}, nil
}

// Put writes a to a temporary file and renames it into place, so that a
// reader never sees half an image.
func (d *Dir) Put(ctx context.Context, a *miniauth.Avatar) error {
	if !miniauth.ValidAvatarName(a.Name) {
		return miniauth.Errorf(miniauth.EInvalidRequest, "bad avatar name")
	}
	if err := ctx.Err(); err != nil {
		return unavailable(err)
	}
	tmp, err := os.CreateTemp(d.path, ".upload-*")
	if err != nil {
		return unavailable(err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; a leftover after a failure
	if _, err := tmp.Write(a.Data); err != nil {
		tmp.Close()
		return unavailable(err)
	}
	if err := tmp.Close(); err != nil {
		return unavailable(err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return unavailable(err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.path, a.Name)); err != nil {
		return unavailable(err)
	}
	return nil
}

// Get reads the avatar called name.
func (d *Dir) Get(ctx context.Context, name string) (*miniauth.Avatar, error) {
	if !miniauth.ValidAvatarName(name) {
		return nil, miniauth.Errorf(miniauth.ENotFound, "no such avatar")
	}
	if err := ctx.Err(); err != nil {
		return nil, unavailable(err)
	}
	data, err := os.ReadFile(filepath.Join(d.path, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, miniauth.Errorf(miniauth.ENotFound, "no such avatar")
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return &miniauth.Avatar{Name: name, ContentType: miniauth.AvatarContentType(name), Data: data}, nil
}

func unavailable(err error) error {
	return miniauth.WrapError(miniauth.EUpstreamUnavailable, "the avatar store is unavailable", err)
}
