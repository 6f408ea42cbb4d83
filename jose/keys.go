// Package jose signs and checks miniauth's JWT access tokens with
// github.com/go-jose/go-jose/v4, over signing keys that every node shares
// through a miniauth.SigningKeyStore.
//
// Keys come in generations. Generation n+1 is stored (and so published in
// the JWKS) PublishDelay before it starts signing, at NotBefore; from then
// on generation n signs nothing, and it stays published until every token
// it may have signed has expired. Any node may add the next key when the
// schedule says so; the store's unique generation makes exactly one win.
// Every node reloads the keys every ReloadInterval.
package jose

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/miniauth/miniauth"
)

// Defaults of Options.
const (
	DefaultAlgorithm      = "EdDSA"
	DefaultRotation       = 30 * 24 * time.Hour
	DefaultReloadInterval = time.Minute
	DefaultJWKSMaxAge     = 10 * time.Minute
	DefaultAccessTTL      = miniauth.DefaultAccessTTL
)

// Options configures Keys. Store, Issuer and KeyEncryptionKey are required.
type Options struct {
	Store            miniauth.SigningKeyStore
	Issuer           string // the tokens' "iss"
	KeyEncryptionKey []byte // 32 bytes; seals the private keys in the store
	Algorithm        string // of new keys: "EdDSA" (default) or "ES256"

	Rotation       time.Duration // how long a key signs; default 30 days
	ReloadInterval time.Duration // how often keys are reloaded and the schedule checked; default 1 minute
	// JWKSMaxAge is the max-age with which the JWKS may be cached (default
	// 10 minutes). A new key is published JWKSMaxAge + 2 × ReloadInterval
	// before it signs (PublishDelay), so that every node and every cached
	// JWKS knows it first.
	JWKSMaxAge time.Duration
	AccessTTL  time.Duration // lifetime of access tokens; default 2h

	Logger *slog.Logger
	Now    func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Algorithm == "" {
		o.Algorithm = DefaultAlgorithm
	}
	if o.Rotation <= 0 {
		o.Rotation = DefaultRotation
	}
	if o.ReloadInterval <= 0 {
		o.ReloadInterval = DefaultReloadInterval
	}
	if o.JWKSMaxAge <= 0 {
		o.JWKSMaxAge = DefaultJWKSMaxAge
	}
	if o.AccessTTL <= 0 {
		o.AccessTTL = DefaultAccessTTL
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// PublishDelay is how long a new key is published before it signs.
func (o Options) PublishDelay() time.Duration {
	o = o.withDefaults()
	return o.JWKSMaxAge + 2*o.ReloadInterval
}

// Keys holds the signing keys in memory, signs and checks access tokens,
// and keeps the keys rotating. It is safe for concurrent use.
type Keys struct {
	opts   Options
	seal   *sealer
	delay  time.Duration
	set    atomic.Pointer[keySet]
	loadMu sync.Mutex // one reload at a time
}

var _ miniauth.AccessTokenSigner = (*Keys)(nil)

// Open loads the keys, creating the first one when there is none (or the
// next one when it is due), so that the node can sign from the start.
func Open(ctx context.Context, opts Options) (*Keys, error) {
	opts = opts.withDefaults()
	if opts.Store == nil || opts.Issuer == "" {
		return nil, fmt.Errorf("jose: a key store and an issuer are required")
	}
	if opts.Algorithm != string(gojose.EdDSA) && opts.Algorithm != string(gojose.ES256) {
		return nil, fmt.Errorf("jose: algorithm must be EdDSA or ES256, not %q", opts.Algorithm)
	}
	seal, err := newSealer(opts.KeyEncryptionKey)
	if err != nil {
		return nil, err
	}
	k := &Keys{opts: opts, seal: seal, delay: opts.PublishDelay()}
	if opts.Rotation <= k.delay {
		return nil, fmt.Errorf("jose: the rotation period (%v) must be longer than the publication delay (%v)", opts.Rotation, k.delay)
	}
	if err := k.Maintain(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// Run reloads the keys and follows the rotation schedule every
// ReloadInterval until ctx ends. A failed round is logged; the keys in
// memory keep serving.
func (k *Keys) Run(ctx context.Context) {
	tick := time.NewTicker(k.opts.ReloadInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := k.Maintain(ctx); err != nil && ctx.Err() == nil {
				k.opts.Logger.Warn("signing keys: reload failed; keeping the keys in memory", "err", err)
			}
		}
	}
}

// Maintain reloads the keys, adds the next one when it is due, and deletes
// those no live token can need.
func (k *Keys) Maintain(ctx context.Context) error {
	k.loadMu.Lock()
	defer k.loadMu.Unlock()
	stored, err := k.opts.Store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	now := k.opts.Now()
	if next, due := k.nextDue(stored, now); due {
		added, err := k.addKey(ctx, next)
		if err != nil {
			return err
		}
		if added {
			k.opts.Logger.Info("signing keys: added the next key", "generation", next.Generation, "not_before", next.NotBefore)
		}
		// Won or lost, the store now holds the next generation.
		if stored, err = k.opts.Store.SigningKeys(ctx); err != nil {
			return err
		}
	}
	set, err := k.build(stored, now)
	if err != nil {
		return err
	}
	k.set.Store(set)
	for _, id := range set.expired {
		if err := k.opts.Store.DeleteSigningKey(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// nextDue says whether the next generation must be added now, and its
// schedule: the first key signs at once (no token can be outstanding); a
// later one is published PublishDelay before it signs.
func (k *Keys) nextDue(stored []miniauth.SigningKey, now time.Time) (miniauth.SigningKey, bool) {
	if len(stored) == 0 {
		return miniauth.SigningKey{Generation: 1, CreatedAt: now, NotBefore: now}, true
	}
	newest := stored[len(stored)-1]
	if now.Before(newest.NotBefore.Add(k.opts.Rotation - k.delay)) {
		return miniauth.SigningKey{}, false
	}
	notBefore := newest.NotBefore.Add(k.opts.Rotation)
	if earliest := now.Add(k.delay); notBefore.Before(earliest) {
		notBefore = earliest
	}
	return miniauth.SigningKey{Generation: newest.Generation + 1, CreatedAt: now, NotBefore: notBefore}, true
}

// addKey generates the key material of next and offers it to the store.
func (k *Keys) addKey(ctx context.Context, next miniauth.SigningKey) (bool, error) {
	alg := gojose.SignatureAlgorithm(k.opts.Algorithm)
	_, pub, der, err := generateKey(alg)
	if err != nil {
		return false, err
	}
	jwk, err := pub.MarshalJSON()
	if err != nil {
		return false, err
	}
	next.ID, next.Algorithm, next.PublicJWK = pub.KeyID, k.opts.Algorithm, jwk
	next.Sealed = k.seal.seal(pub.KeyID, der)
	return k.opts.Store.InsertSigningKey(ctx, next)
}

// unsealKey opens a stored key into a signer and its public JWK, reusing
// what the current set already opened.
func (k *Keys) unsealKey(sk miniauth.SigningKey) (*loadedKey, error) {
	if cur := k.set.Load(); cur != nil {
		if lk, ok := cur.byID[sk.ID]; ok {
			return lk, nil
		}
	}
	pub, err := parsePublicJWK(sk.PublicJWK, sk.ID, sk.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("jose: key %s: %w", sk.ID, err)
	}
	der, err := k.seal.open(sk.ID, sk.Sealed)
	if err != nil {
		return nil, fmt.Errorf("jose: key %s: %w", sk.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("jose: key %s: %w", sk.ID, err)
	}
	alg := gojose.SignatureAlgorithm(sk.Algorithm)
	signer, err := gojose.NewSigner(gojose.SigningKey{Algorithm: alg, Key: gojose.JSONWebKey{Key: priv, KeyID: sk.ID}},
		(&gojose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("jose: key %s: %w", sk.ID, err)
	}
	return &loadedKey{SigningKey: sk, public: pub, signer: signer}, nil
}
