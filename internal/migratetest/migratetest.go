// Package migratetest brings a test database to an earlier schema version,
// so that a later migration can be tested on data the previous schema
// wrote: it applies the engine's migration files up to a version, as that
// version's miniauth did.
package migratetest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/miniauth/miniauth/internal/sqlstore"
)

// dialects are just what applying migrations needs of each engine.
var dialects = map[string]*sqlstore.Dialect{
	"sqlite":   {Name: "sqlite", Classify: other},
	"postgres": {Name: "postgres", DollarPlaceholders: true, Classify: other},
	"mysql":    {Name: "mysql", Classify: other},
}

func other(error) sqlstore.ErrorClass { return sqlstore.ClassOther }

// ApplyUpTo applies the migrations of engine ("sqlite", "postgres",
// "mysql") numbered up to last to db, recording them as Open would.
func ApplyUpTo(t testing.TB, db *sql.DB, engine string, last int) {
	t.Helper()
	d, ok := dialects[engine]
	if !ok {
		t.Fatalf("migratetest: unknown engine %q", engine)
	}
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(self), "..", "..", engine, "migrations")
	migs, err := sqlstore.ReadMigrations(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	older := fstest.MapFS{}
	for _, m := range migs {
		if m.Version > last {
			continue
		}
		b, err := fs.ReadFile(os.DirFS(dir), m.Name)
		if err != nil {
			t.Fatal(err)
		}
		older[m.Name] = &fstest.MapFile{Data: b}
	}
	applied, err := sqlstore.Migrate(context.Background(), db, d, older)
	if err != nil {
		t.Fatalf("migratetest: %s up to %d: %v", engine, last, err)
	}
	if len(applied) != last {
		t.Fatal(fmt.Sprintf("migratetest: applied %v, want 1 to %d", applied, last))
	}
}
