// Package alipaysign holds Alipay's RSA2 rules, shared by the Alipay login
// provider (which signs requests and verifies answers), the simulator (which
// verifies requests and signs answers) and the configuration (which checks
// key files): the signing content of a request, RSA-SHA256 PKCS #1 v1.5
// signatures in base64, and the PEM forms of the keys.
package alipaysign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// KeyBits is the size of the keys NewKey makes, what Alipay's tools make.
const KeyBits = 2048

// Content is the text a request's signature covers: every parameter but
// sign (and sign_type, which Alipay's gateway also leaves out), with a
// non-empty value, sorted by name, joined as k=v&k=v with values unescaped.
func Content(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k == "sign" || k == "sign_type" || params.Get(k) == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params.Get(k))
	}
	return b.String()
}

// Sign signs content with key: base64 of RSA-SHA256 (PKCS #1 v1.5).
func Sign(key *rsa.PrivateKey, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// ErrBadSignature is a signature that is not base64 or does not match.
var ErrBadSignature = errors.New("alipaysign: bad signature")

// Verify checks a base64 signature of content made by pub's private half.
func Verify(pub *rsa.PublicKey, content []byte, sign string) error {
	sig, err := base64.StdEncoding.DecodeString(sign)
	if err != nil {
		return ErrBadSignature
	}
	sum := sha256.Sum256(content)
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return ErrBadSignature
	}
	return nil
}

// NewKey makes a key pair of KeyBits.
func NewKey() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, KeyBits) }

// ParsePrivateKey reads an RSA private key: PEM, PKCS #8 ("PRIVATE KEY", what
// Alipay's key tool saves) or PKCS #1 ("RSA PRIVATE KEY"), or the bare
// base64 of either that Alipay's console shows.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	der, err := derOf(data)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, errors.New("not an RSA key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not an RSA private key (PKCS #8 or PKCS #1)")
}

// ParsePublicKey reads an RSA public key: PEM "PUBLIC KEY" (PKIX, what
// Alipay hands out) or "RSA PUBLIC KEY" (PKCS #1), or the bare base64.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	der, err := derOf(data)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		if rk, ok := k.(*rsa.PublicKey); ok {
			return rk, nil
		}
		return nil, errors.New("not an RSA key")
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not an RSA public key (PKIX or PKCS #1)")
}

func derOf(data []byte) ([]byte, error) {
	if block, _ := pem.Decode(data); block != nil {
		return block.Bytes, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), ""))
	if err != nil || len(der) == 0 {
		return nil, errors.New("neither PEM nor base64")
	}
	return der, nil
}

// PrivatePEM is key in PEM, PKCS #8.
func PrivatePEM(key *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic("alipaysign: marshal an RSA key: " + err.Error()) // cannot fail for RSA
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// PublicPEM is pub in PEM, PKIX.
func PublicPEM(pub *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("alipaysign: marshal an RSA key: " + err.Error()) // cannot fail for RSA
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
