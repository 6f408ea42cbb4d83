package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/httpapi"
	"github.com/miniauth/miniauth/jose"
)

// devKeyEncryptionKeyFile is where dev mode keeps the key that seals the
// JWT signing keys, beside its database.
const devKeyEncryptionKeyFile = "token-key-encryption-key"

// issuerOf is tokens.issuer, or in dev mode the node's own URL.
func issuerOf(cfg config.Config, nodeURL string) string {
	if cfg.Tokens.Issuer != "" {
		return strings.TrimSuffix(cfg.Tokens.Issuer, "/")
	}
	return nodeURL
}

// openSigningKeys loads (or creates) the JWT signing keys when
// tokens.format is jwt; otherwise it returns nil.
func openSigningKeys(ctx context.Context, cfg config.Config, st *stores, issuer string, logger *slog.Logger) (*jose.Keys, error) {
	if !cfg.Tokens.JWT() {
		return nil, nil
	}
	kek, err := keyEncryptionKey(cfg)
	if err != nil {
		return nil, err
	}
	keys, err := jose.Open(ctx, jose.Options{
		Store:            st.signingKeys,
		Issuer:           issuer,
		KeyEncryptionKey: kek,
		Algorithm:        cfg.Tokens.SigningAlg,
		Rotation:         cfg.Tokens.KeyRotation.Duration,
		ReloadInterval:   cfg.Tokens.KeyReload.Duration,
		JWKSMaxAge:       cfg.Tokens.JWKSMaxAge.Duration,
		AccessTTL:        cfg.Tokens.AccessTTL.Duration,
		Logger:           logger.With("component", "signing-keys"),
	})
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return keys, nil
}

// tokenSealer is the sealer of opaque access tokens' claims, when
// tokens.seal is on and a key encryption key is at hand; otherwise nil.
func tokenSealer(cfg config.Config) (*miniauth.TokenSealer, error) {
	if !cfg.Sealed() {
		return nil, nil
	}
	kek, err := keyEncryptionKey(cfg)
	if err != nil {
		return nil, err
	}
	return miniauth.NewTokenSealer(kek)
}

// keyEncryptionKey reads the key that seals the signing keys: from the
// configuration, from its file, or (dev mode) from the data dir, made on
// first use.
func keyEncryptionKey(cfg config.Config) ([]byte, error) {
	t := cfg.Tokens
	switch {
	case t.KeyEncryptionKey != "":
		kek, err := jose.ParseKeyEncryptionKey(t.KeyEncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY (tokens.key_encryption_key): %w", err)
		}
		return kek, nil
	case t.KeyEncryptionKeyFile != "":
		b, err := os.ReadFile(t.KeyEncryptionKeyFile)
		if err == nil {
			var kek []byte
			if kek, err = jose.ParseKeyEncryptionKey(string(b)); err == nil {
				return kek, nil
			}
		}
		return nil, fmt.Errorf("MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY_FILE (tokens.key_encryption_key_file): %w", err)
	}
	return devKeyEncryptionKey(filepath.Join(cfg.Data.Dir, devKeyEncryptionKeyFile))
}

// devKeyEncryptionKey reads the key at path, or makes it. Nodes sharing a
// data dir may start together: the key is written to a temporary file and
// linked into place, which fails for all but the first.
func devKeyEncryptionKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		return jose.ParseKeyEncryptionKey(string(b))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kek-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(jose.NewKeyEncryptionKey() + "\n")
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return jose.ParseKeyEncryptionKey(string(b))
}

// signerOf and keySetOf give the service and the API no signer (a nil
// interface, not a nil *jose.Keys) when tokens are opaque.
func signerOf(keys *jose.Keys) miniauth.AccessTokenSigner {
	if keys == nil {
		return nil
	}
	return keys
}

func keySetOf(keys *jose.Keys) httpapi.KeySet {
	if keys == nil {
		return nil
	}
	return keys
}
