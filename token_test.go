package miniauth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTokensAreRandomAndWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		tok := newToken(accessTokenPrefix)
		if !wellFormed(tok, accessTokenPrefix) || wellFormed(tok, refreshTokenPrefix) {
			t.Fatalf("token %q not well formed", tok)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, accessTokenPrefix))
		if err != nil || len(raw)*8 < 128 {
			t.Fatalf("token %q carries %d bits", tok, len(raw)*8)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
}

func TestHashToken(t *testing.T) {
	// sha256("abc")
	if got := HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashToken = %s", got)
	}
	// A token from before ids: still accepted, stored as its whole SHA-256.
	legacy := "mat_" + strings.Repeat("A", 43)
	if !wellFormed(legacy, accessTokenPrefix) {
		t.Error("a token from before ids is refused")
	}
	if sum := sha256.Sum256([]byte(legacy)); HashToken(legacy) != hex.EncodeToString(sum[:]) {
		t.Errorf("a token from before ids is stored as %s", HashToken(legacy))
	}
}

// A token is stored as the time it was made, then most of its SHA-256: 64
// hex characters that sort as the tokens were made, so that the stores'
// indexes of them grow at one end. The secret bits appear only through the
// hash.
func TestStoredTokensSortByTime(t *testing.T) {
	tok := newToken(refreshTokenPrefix)
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, refreshTokenPrefix))
	if len(raw) != tokenTimeBytes+tokenSecretBytes {
		t.Fatalf("a token of %d bytes", len(raw))
	}
	sum := sha256.Sum256([]byte(tok))
	want := hex.EncodeToString(raw[:tokenTimeBytes]) + hex.EncodeToString(sum[:32-tokenTimeBytes])
	if got := HashToken(tok); got != want {
		t.Fatalf("stored as %s, want %s", got, want)
	}
	if secret := hex.EncodeToString(raw[tokenTimeBytes:]); strings.Contains(HashToken(tok), secret[:16]) {
		t.Fatal("the stored form shows the secret bits")
	}
	prev := HashToken(newToken(accessTokenPrefix))
	for range 5 {
		time.Sleep(2 * time.Millisecond)
		next := HashToken(newToken(accessTokenPrefix))
		if len(next) != 64 || next <= prev {
			t.Fatalf("a later token is stored as %s, not after %s", next, prev)
		}
		prev = next
	}
	// Not ours: a wrong length, or no prefix's underscore.
	for _, s := range []string{tok[:len(tok)-1], "mat:" + tok[4:]} {
		if _, ok := tokenTime(s); ok {
			t.Errorf("%q taken for a token that begins with its time", s)
		}
	}
}

func TestErrorCodesSurviveWrapping(t *testing.T) {
	base := Errorf(EInvalidCode, "bad code")
	wrapped := fmt.Errorf("login: %w", fmt.Errorf("wechat: %w", base))
	if ErrorCode(wrapped) != EInvalidCode || ErrorMessage(wrapped) != "bad code" {
		t.Errorf("code %q message %q", ErrorCode(wrapped), ErrorMessage(wrapped))
	}
	if ErrorCode(errors.New("boom")) != EInternal || ErrorMessage(errors.New("boom")) != "internal error" {
		t.Error("unknown errors must be internal, without detail")
	}
	if ErrorCode(nil) != "" {
		t.Error("nil has no code")
	}
	cause := errors.New("dial tcp: connection refused")
	err := WrapError(EUpstreamUnavailable, "database unavailable", cause)
	if !errors.Is(err, cause) || ErrorMessage(err) != "database unavailable" {
		t.Errorf("WrapError: %v", err)
	}
}

func TestIDsAreUniqueAndSortByTime(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 10000; i++ {
		id := NewID()
		if len(id) != 32 || seen[id] {
			t.Fatalf("id %q: length %d, duplicate %v", id, len(id), seen[id])
		}
		seen[id] = true
		// Within one millisecond the order is random; across them it follows time.
		if prev != "" && id[:12] < prev[:12] {
			t.Fatalf("id %s sorts before the earlier %s", id, prev)
		}
		prev = id
	}
}
