package testserver_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/miniauth/miniauth/internal/testserver"
)

// Starting MariaDB leaves the temporary files of other servers alone. At
// start mariadbd deletes every "#sql*" file in its tmpdir; in the shared
// temp dir those were the temporary tables of another test binary's
// install-db, whose bootstrap then failed.
func TestMySQLKeepsOthersTempFiles(t *testing.T) {
	shared := t.TempDir()
	t.Setenv("TMPDIR", shared) // the servers' directories and default tmpdir
	canary := filepath.Join(shared, "#sql-temptable-another-server")
	if err := os.WriteFile(canary, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	testserver.NewMySQL(t)
	if _, err := os.Stat(canary); err != nil {
		t.Fatalf("a MariaDB start removed another server's temporary table: %v", err)
	}
}
