package jose

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gojose "github.com/go-jose/go-jose/v4"
)

// KeyEncryptionKeySize is the size of the AES-256 key that seals the
// private signing keys in the database.
const KeyEncryptionKeySize = 32

// ParseKeyEncryptionKey reads a key encryption key written as base64
// (standard or URL alphabet, padded or not) or hex: 32 bytes either way.
func ParseKeyEncryptionKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString,
		base64.StdEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString,
		base64.RawURLEncoding.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) == KeyEncryptionKeySize {
			return b, nil
		}
	}
	return nil, errors.New("a key encryption key must be 32 bytes, written in base64 or hex")
}

// NewKeyEncryptionKey returns a fresh key encryption key in base64.
func NewKeyEncryptionKey() string {
	b := make([]byte, KeyEncryptionKeySize)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// sealer encrypts private keys with AES-256-GCM. The additional data binds
// each ciphertext to its key id, so that rows swapped in the database fail
// to open instead of signing under another kid.
type sealer struct{ aead cipher.AEAD }

func newSealer(kek []byte) (*sealer, error) {
	if len(kek) != KeyEncryptionKeySize {
		return nil, fmt.Errorf("jose: the key encryption key must be %d bytes", KeyEncryptionKeySize)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(kid string, plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, []byte(kid))
}

func (s *sealer) open(kid string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed key too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(kid))
	if err != nil {
		return nil, errors.New("cannot open the sealed key: wrong key encryption key, or the row was altered")
	}
	return plain, nil
}

// generateKey makes a key pair for alg and returns the private key, its
// public JWK (kid = RFC 7638 thumbprint) and the private key in PKCS #8.
func generateKey(alg gojose.SignatureAlgorithm) (crypto.Signer, gojose.JSONWebKey, []byte, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case gojose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case gojose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		err = fmt.Errorf("jose: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, gojose.JSONWebKey{}, nil, err
	}
	pub := gojose.JSONWebKey{Key: priv.Public(), Algorithm: string(alg), Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, gojose.JSONWebKey{}, nil, err
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, gojose.JSONWebKey{}, nil, err
	}
	return priv, pub, der, nil
}

// parsePublicJWK reads a stored public JWK and checks that it is a public
// key of the stored algorithm and id.
func parsePublicJWK(raw []byte, kid, alg string) (gojose.JSONWebKey, error) {
	var k gojose.JSONWebKey
	if err := json.Unmarshal(raw, &k); err != nil {
		return k, err
	}
	if !k.IsPublic() || k.KeyID != kid || k.Algorithm != alg {
		return k, errors.New("stored public key does not match its row")
	}
	return k, nil
}
