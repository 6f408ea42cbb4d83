package storetest_test

import (
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/storetest"
)

// Signing keys live in the SQL database only.
var signingKeyBackends = []struct {
	name string
	open func(t *testing.T) miniauth.SigningKeyStore
}{
	{"sqlite", func(t *testing.T) miniauth.SigningKeyStore { return openSQLite(t).SigningKeys() }},
	{"sqlite-memory", func(t *testing.T) miniauth.SigningKeyStore { return openSQLiteMemory(t).SigningKeys() }},
	{"postgres", func(t *testing.T) miniauth.SigningKeyStore { return openPostgres(t).SigningKeys() }},
	{"mysql", func(t *testing.T) miniauth.SigningKeyStore { return openMySQL(t).SigningKeys() }},
}

func TestSigningKeyBackends(t *testing.T) {
	for _, b := range signingKeyBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			storetest.TestSigningKeyStore(t, b.open)
		})
	}
}
