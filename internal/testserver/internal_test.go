package testserver

import (
	"io"
	"os"
	"strings"
	"testing"
)

func TestFindBinaryMissing(t *testing.T) {
	if p, ok := findBinary([]string{"no-such-server-binary"}, t.TempDir()); ok {
		t.Fatalf("found %s", p)
	}
	if p, ok := findBinary([]string{"sh"}, "/nonexistent"); !ok || !strings.HasSuffix(p, "/sh") {
		t.Fatalf("sh not found on PATH: %q", p)
	}
}

func TestDBName(t *testing.T) {
	a, b := dbName(t), dbName(t)
	if a == b {
		t.Fatalf("same name twice: %s", a)
	}
	for _, n := range []string{a, b} {
		if len(n) > 63 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Fatalf("bad database name %q", n)
		}
	}
}

func TestSkipMessagesNameTheSuite(t *testing.T) {
	for msg, suite := range map[string]string{postgresMissing: "PostgreSQL suite", mysqlMissing: "MySQL/MariaDB suite", redisMissing: "Redis suite"} {
		if !strings.Contains(msg, suite+" did not run") || !strings.Contains(msg, "scripts/test.sh") {
			t.Errorf("skip message %q does not say the %s did not run", msg, suite)
		}
	}
}

func TestSkippedSuitesAreReportedOnce(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	noteSkipped(postgresMissing)
	noteSkipped(redisMissing)
	noteSkipped(postgresMissing)
	reportSkipped()
	os.Stderr = stderr
	w.Close()
	out, _ := io.ReadAll(r)
	skipped.messages = nil

	if strings.Count(string(out), "PostgreSQL suite did not run") != 1 || !strings.Contains(string(out), "Redis suite did not run") {
		t.Errorf("report: %q", out)
	}
}
