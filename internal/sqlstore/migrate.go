package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change, read from a file NNN_name.sql.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// ReadMigrations reads the *.sql files at the top of fsys, named
// NNN_name.sql, in order of NNN. Statements in a file end with a ; at the
// end of a line; lines starting with -- are comments.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var migs []Migration
	seen := map[int]string{}
	for _, name := range names {
		num, _, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlstore: migration %s: name must be NNN_name.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("sqlstore: migrations %s and %s have the same number", prev, name)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		migs = append(migs, Migration{Version: v, Name: name, Statements: splitStatements(string(b))})
	}
	slices.SortFunc(migs, func(a, b Migration) int { return a.Version - b.Version })
	return migs, nil
}

func splitStatements(src string) []string {
	var stmts []string
	var cur strings.Builder
	for line := range strings.Lines(src) {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(t, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		stmts = append(stmts, rest)
	}
	return stmts
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER NOT NULL PRIMARY KEY,
	name VARCHAR(255) NOT NULL,
	applied_at VARCHAR(64) NOT NULL
)`

// Migrate applies the migrations of fsys that db has not applied yet, each
// in a transaction (where the engine can roll DDL back) together with its
// row in schema_migrations. It holds the dialect's migration lock while it
// works, so that nodes starting together apply each migration once; it
// returns the versions it applied.
func Migrate(ctx context.Context, db *sql.DB, d *Dialect, fsys fs.FS) ([]int, error) {
	migs, err := ReadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer conn.Close()
	if d.MigrationLock != nil {
		unlock, err := d.MigrationLock(ctx, conn)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migration lock: %w", err)
		}
		defer unlock()
	}
	if _, err := conn.ExecContext(ctx, createSchemaMigrations); err != nil {
		return nil, fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	var applied []int
	for _, m := range migs {
		ok, err := applyMigration(ctx, conn, d, m)
		if err != nil {
			return applied, fmt.Errorf("sqlstore: migration %s: %w", m.Name, err)
		}
		if ok {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// applyMigration applies m unless it is recorded; it reports whether it did.
func applyMigration(ctx context.Context, conn *sql.Conn, d *Dialect, m Migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	// Checked inside the transaction: for SQLite the BEGIN IMMEDIATE is
	// the lock, and a concurrent Open may have applied m meanwhile.
	var n int
	if err := tx.QueryRowContext(ctx, d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	for _, st := range m.Statements {
		// Without transactional DDL (MySQL) each statement commits by
		// itself; the migration lock still keeps other nodes out.
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return false, err
		}
	}
	_, err = tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.Version, m.Name, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return false, err
	}
	return true, tx.Commit()
}
