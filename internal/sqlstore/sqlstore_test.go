package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"slices"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/miniauth/miniauth"
)

func TestRebind(t *testing.T) {
	d := &Dialect{DollarPlaceholders: true}
	if got := d.rebind("SELECT a FROM t WHERE b = ? AND c > ?"); got != "SELECT a FROM t WHERE b = $1 AND c > $2" {
		t.Fatal(got)
	}
	if got := (&Dialect{}).rebind("x = ?"); got != "x = ?" {
		t.Fatal(got)
	}
}

func TestReadMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"010_later.sql": {Data: []byte("CREATE TABLE b (x INT);\n")},
		"002_first.sql": {Data: []byte("-- comment\nCREATE TABLE a (\n  x INT\n);\n\nCREATE INDEX a_x ON a (x);\nINSERT INTO a VALUES (1)")},
		"README.txt":    {Data: []byte("not a migration")},
	}
	migs, err := ReadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(migs) != 2 || migs[0].Version != 2 || migs[1].Version != 10 {
		t.Fatalf("%+v", migs)
	}
	want := []string{"CREATE TABLE a (\n  x INT\n)", "CREATE INDEX a_x ON a (x)", "INSERT INTO a VALUES (1)"}
	if !slices.Equal(migs[0].Statements, want) {
		t.Fatalf("statements %q, want %q", migs[0].Statements, want)
	}
	for name, bad := range map[string]fstest.MapFS{
		"no number": {"init.sql": {}},
		"duplicate": {"001_a.sql": {}, "1_b.sql": {}},
	} {
		if _, err := ReadMigrations(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMsTime(t *testing.T) {
	want := time.Date(2025, 3, 14, 15, 9, 26, 535000000, time.UTC)
	for _, src := range []any{
		want.UnixMilli(),
		want.Add(897 * time.Microsecond).In(time.FixedZone("CST", 8*3600)),
		"2025-03-14T23:09:26.535897+08:00",
		[]byte("2025-03-14 15:09:26.535"),
	} {
		var got time.Time
		if err := (msTime{&got}).Scan(src); err != nil {
			t.Fatalf("%T %v: %v", src, src, err)
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Fatalf("%T %v: got %v, want %v", src, src, got, want)
		}
	}
	var got time.Time
	if err := (msTime{&got}).Scan(3.5); err == nil {
		t.Fatal("float scanned as a time")
	}
}

// driverErr is a driver error with a number, as the dialects classify.
type driverErr int

func (e driverErr) Error() string { return fmt.Sprintf("driver error %d", int(e)) }

func TestWrapCodes(t *testing.T) {
	s := &Store{d: &Dialect{Name: "test", Classify: func(err error) ErrorClass {
		var de driverErr
		if errors.As(err, &de) {
			switch de {
			case 1:
				return ClassUnavailable
			case 2:
				return ClassUnique
			}
		}
		return ClassOther
	}}}
	for _, tc := range []struct {
		err  error
		code string
	}{
		{driverErr(1), miniauth.EUpstreamUnavailable},
		{fmt.Errorf("in tx: %w", driverErr(1)), miniauth.EUpstreamUnavailable},
		{driverErr(2), miniauth.EInternal},
		{driverErr(3), miniauth.EInternal},
		{driver.ErrBadConn, miniauth.EUpstreamUnavailable},
		{context.DeadlineExceeded, miniauth.EUpstreamUnavailable},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, miniauth.EUpstreamUnavailable},
		{syscall.ECONNRESET, miniauth.EUpstreamUnavailable},
		{errors.New("syntax error"), miniauth.EInternal},
		{notFound("user"), miniauth.ENotFound},
		{fmt.Errorf("x: %w", miniauth.ErrRefreshReused), miniauth.EUnauthorized},
	} {
		err := s.wrap("op", tc.err)
		if got := miniauth.ErrorCode(err); got != tc.code {
			t.Errorf("%v: code %q, want %q", tc.err, got, tc.code)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%v: the cause is lost in %v", tc.err, err)
		}
	}
	if s.wrap("op", nil) != nil {
		t.Fatal("wrap(nil) is not nil")
	}
}
