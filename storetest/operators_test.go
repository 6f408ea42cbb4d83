package storetest_test

import (
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/storetest"
)

// Operators and the user directory live in the SQL database only.
type consoleDB interface {
	Users() miniauth.UserStore
	Operators() miniauth.OperatorStore
	Directory() miniauth.UserDirectory
}

var consoleBackends = []struct {
	name string
	open func(t *testing.T) consoleDB
}{
	{"sqlite", func(t *testing.T) consoleDB { return openSQLite(t) }},
	{"postgres", func(t *testing.T) consoleDB { return openPostgres(t) }},
	{"mysql", func(t *testing.T) consoleDB { return openMySQL(t) }},
}

func TestOperatorBackends(t *testing.T) {
	for _, b := range consoleBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			storetest.TestOperatorStore(t, func(t *testing.T) miniauth.OperatorStore { return b.open(t).Operators() })
		})
	}
}

func TestUserDirectoryBackends(t *testing.T) {
	for _, b := range consoleBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			storetest.TestUserDirectory(t, func(t *testing.T) storetest.DirectoryStores {
				db := b.open(t)
				return storetest.DirectoryStores{Users: db.Users(), Directory: db.Directory()}
			})
		})
	}
}
