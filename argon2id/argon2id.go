// Package argon2id implements miniauth.PasswordHasher with argon2id
// (golang.org/x/crypto/argon2), in the PHC string format that libsodium,
// the argon2 command line tool and most libraries read:
//
//	$argon2id$v=19$m=65536,t=2,p=2$<salt>$<hash>   (unpadded standard base64)
//
// Verify takes its parameters from the string, so hashes made with older
// parameters keep working after Params change.
package argon2id

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/miniauth/miniauth"
)

// Params are argon2id's costs.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
	SaltLen   int
	KeyLen    uint32
}

// DefaultParams follow RFC 9106's second recommendation (64 MiB), with two
// passes and two lanes: about 0.1 s per check on one core of a small server.
var DefaultParams = Params{MemoryKiB: 64 * 1024, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}

// Hasher hashes and verifies passwords. At most as many hashes as there are
// CPUs run at once, so that a flood of sign-ins cannot take Params.MemoryKiB
// per request.
type Hasher struct {
	p    Params
	slot chan struct{}
}

var _ miniauth.PasswordHasher = (*Hasher)(nil)

// New returns a Hasher that makes hashes with p.
func New(p Params) *Hasher {
	return &Hasher{p: p, slot: make(chan struct{}, runtime.NumCPU())}
}

// Hash returns the PHC string of password with a fresh random salt.
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, h.p.SaltLen)
	rand.Read(salt) // never fails (crypto/rand since Go 1.24)
	key := h.key([]byte(password), salt, h.p)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.p.MemoryKiB, h.p.Time, h.p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded, in constant time.
func (h *Hasher) Verify(password, encoded string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got := h.key([]byte(password), salt, p)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func (h *Hasher) key(password, salt []byte, p Params) []byte {
	h.slot <- struct{}{}
	defer func() { <-h.slot }()
	return argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
}

var errFormat = errors.New("argon2id: not an argon2id PHC string")

// Bounds of the parameters Verify accepts, so that a tampered string cannot
// make it allocate without limit.
const (
	maxMemoryKiB = 1 << 21 // 2 GiB
	maxTime      = 64
)

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, errFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, errFormat
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, errFormat
	}
	if p.MemoryKiB == 0 || p.MemoryKiB > maxMemoryKiB || p.Time == 0 || p.Time > maxTime || p.Threads == 0 {
		return Params{}, nil, nil, errFormat
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return Params{}, nil, nil, errFormat
	}
	p.KeyLen = uint32(len(key))
	return p, salt, key, nil
}
