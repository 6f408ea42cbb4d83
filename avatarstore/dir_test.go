package avatarstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/avatarstore"
	"github.com/miniauth/miniauth/storetest"
)

func TestDirContract(t *testing.T) {
	d, err := avatarstore.OpenDir(filepath.Join(t.TempDir(), "avatars"))
	if err != nil {
		t.Fatal(err)
	}
	storetest.AvatarStore(t, d)
}

func TestDirLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	d, err := avatarstore.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := storetest.NewAvatar([]byte("x"), "png")
	if err := d.Put(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != a.Name {
		t.Fatalf("directory holds %v; want only %s", entries, a.Name)
	}
}

func TestDirUnwritableIsUpstreamUnavailable(t *testing.T) {
	dir := t.TempDir()
	d, err := avatarstore.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir)
	os.WriteFile(dir, []byte("a file where the directory was"), 0o644)
	err = d.Put(context.Background(), storetest.NewAvatar([]byte("x"), "jpg"))
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("Put into a missing directory: %v", err)
	}
}
