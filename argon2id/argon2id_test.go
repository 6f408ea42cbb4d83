package argon2id_test

import (
	"strings"
	"testing"

	"github.com/miniauth/miniauth/argon2id"
)

var cheap = argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestRoundTrip(t *testing.T) {
	h := argon2id.New(cheap)
	enc, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("not PHC: %s", enc)
	}
	if ok, err := h.Verify("correct horse battery", enc); !ok || err != nil {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, err := h.Verify("correct horse batterz", enc); ok || err != nil {
		t.Fatalf("wrong password: %v, %v", ok, err)
	}
	again, _ := h.Hash("correct horse battery")
	if again == enc {
		t.Fatal("two hashes of one password are equal: no per-password salt")
	}
}

// A string made with other parameters verifies with them: changing the
// defaults does not lock anyone out.
func TestVerifyReadsParameters(t *testing.T) {
	old, _ := argon2id.New(cheap).Hash("a long enough password")
	newer := argon2id.New(argon2id.Params{MemoryKiB: 128, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 16})
	if ok, err := newer.Verify("a long enough password", old); !ok || err != nil {
		t.Fatalf("%v, %v", ok, err)
	}
}

func TestVerifyRefusesMalformed(t *testing.T) {
	h := argon2id.New(cheap)
	for _, enc := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$aGFzaA", // 4 TiB: refused, not allocated
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA",
	} {
		if ok, err := h.Verify("x", enc); ok || err == nil {
			t.Errorf("%q: %v, %v", enc, ok, err)
		}
	}
}
