package testserver

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

var dbCounter atomic.Int64

// dbName makes a database name from the test's name, unique in this test
// binary, short enough for PostgreSQL (63) and MySQL (64), and made only of
// [a-z0-9_] so that it needs no quoting.
func dbName(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return fmt.Sprintf("t%d_%s", dbCounter.Add(1), name)
}
