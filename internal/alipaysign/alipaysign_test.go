package alipaysign

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/url"
	"sync"
	"testing"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := NewKey()
	if err != nil {
		panic(err)
	}
	return k
})

func TestContentSortsAndSkipsSignAndEmpty(t *testing.T) {
	p := url.Values{"method": {"alipay.system.oauth.token"}, "app_id": {"2021"}, "sign": {"x"},
		"sign_type": {"RSA2"}, "empty": {""}, "code": {"a b&c"}}
	if got, want := Content(p), "app_id=2021&code=a b&c&method=alipay.system.oauth.token"; got != want {
		t.Errorf("Content = %q, want %q", got, want)
	}
}

func TestSignVerify(t *testing.T) {
	k := testKey()
	sig, err := Sign(k, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(&k.PublicKey, []byte("hello"), sig); err != nil {
		t.Errorf("own signature: %v", err)
	}
	if Verify(&k.PublicKey, []byte("hellO"), sig) == nil {
		t.Error("a signature of other content must not verify")
	}
	if Verify(&k.PublicKey, []byte("hello"), "%%%") == nil {
		t.Error("a signature that is not base64 must not verify")
	}
}

func TestParseKeysInEveryForm(t *testing.T) {
	k := testKey()
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	bare, _ := pem.Decode(PrivatePEM(k))
	for name, data := range map[string][]byte{
		"pkcs8 pem": PrivatePEM(k), "pkcs1 pem": pkcs1,
		"bare base64": []byte(base64.StdEncoding.EncodeToString(bare.Bytes)),
	} {
		got, err := ParsePrivateKey(data)
		if err != nil || !got.Equal(k) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if pub, err := ParsePublicKey(PublicPEM(&k.PublicKey)); err != nil || !pub.Equal(&k.PublicKey) {
		t.Errorf("public pem: %v", err)
	}
	if _, err := ParsePublicKey([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")); err == nil {
		t.Error("garbage inside PEM must be refused")
	}
	if _, err := ParsePrivateKey([]byte("not a key")); err == nil {
		t.Error("text must be refused")
	}
	if _, err := ParsePrivateKey(PublicPEM(&k.PublicKey)); err == nil {
		t.Error("a public key is not a private key")
	}
}
