package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// NewAvatar is an avatar whose name is the SHA-256 of its data, as
// Service.SetAvatar makes them.
func NewAvatar(data []byte, ext string) *miniauth.Avatar {
	sum := sha256.Sum256(data)
	return &miniauth.Avatar{Name: hex.EncodeToString(sum[:]) + "." + ext, ContentType: miniauth.AvatarContentType("." + ext), Data: data}
}

// AvatarStore runs the contract of miniauth.AvatarStore against s. Each run
// uses avatars of its own, so a shared bucket is fine.
func AvatarStore(t *testing.T, s miniauth.AvatarStore) {
	ctx := context.Background()
	seed := time.Now().String() + t.Name()

	t.Run("PutThenGet", func(t *testing.T) {
		for _, ext := range []string{"jpg", "png"} {
			a := NewAvatar([]byte(seed+"\x00\xff binary "+ext), ext)
			if err := s.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, a.Name)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != a.Name || !bytes.Equal(got.Data, a.Data) || got.ContentType != a.ContentType {
				t.Fatalf("Get = %s %s %q; want %s %s %q", got.Name, got.ContentType, got.Data, a.Name, a.ContentType, a.Data)
			}
		}
	})

	t.Run("PutTwiceIsFine", func(t *testing.T) {
		a := NewAvatar([]byte(seed+" twice"), "jpg")
		for range 2 {
			if err := s.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("ConcurrentPutsOfOneName", func(t *testing.T) {
		a := NewAvatar(bytes.Repeat([]byte(seed), 20000), "png")
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() { errs <- s.Put(ctx, a) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.Get(ctx, a.Name); err != nil || !bytes.Equal(got.Data, a.Data) {
			t.Fatalf("after concurrent puts: %v", err)
		}
	})

	t.Run("UnknownAndMalformedNamesAreNotFound", func(t *testing.T) {
		unknown := NewAvatar([]byte(seed+" never stored"), "jpg").Name
		for _, name := range []string{unknown, "", "x.jpg", "../" + unknown, strings.ToUpper(unknown), unknown + "/", "%2e%2e"} {
			if _, err := s.Get(ctx, name); miniauth.ErrorCode(err) != miniauth.ENotFound {
				t.Errorf("Get(%q): %v; want not_found", name, err)
			}
		}
	})

	t.Run("EndedContextIsUpstreamUnavailable", func(t *testing.T) {
		dead, cancel := context.WithCancel(ctx)
		cancel()
		a := NewAvatar([]byte(seed+" dead"), "jpg")
		if err := s.Put(dead, a); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
			t.Errorf("Put with an ended context: %v", err)
		}
		if _, err := s.Get(dead, a.Name); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
			t.Errorf("Get with an ended context: %v", err)
		}
	})
}
