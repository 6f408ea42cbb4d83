package miniauth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
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
