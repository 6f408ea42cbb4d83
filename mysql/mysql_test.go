package mysql_test

import (
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/mysql"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in                   string
		user, pass, addr, db string
		param                string // a driver parameter that must come through
		err                  bool
	}{
		{in: "mysql://u:p@127.0.0.1:3307/miniauth", user: "u", pass: "p", addr: "127.0.0.1:3307", db: "miniauth"},
		{in: "mysql://u:p%40ss@db.example:3306/m", user: "u", pass: "p@ss", addr: "db.example:3306", db: "m"},
		{in: "mysql://u@localhost/m", user: "u", addr: "localhost:3306", db: "m"},
		{in: "mysql://u:p@h:1/m?tls=skip-verify", user: "u", pass: "p", addr: "h:1", db: "m", param: "tls"},
		{in: "u:p@tcp(h:2)/m", user: "u", pass: "p", addr: "h:2", db: "m"},
		{in: "mysql://u:p@h:1/", err: true},
		{in: "mysql://", err: true},
	} {
		cfg, err := mysql.ParseURL(tc.in)
		if tc.err {
			if miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
				t.Errorf("%s: %v, want invalid_request", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if cfg.User != tc.user || cfg.Passwd != tc.pass || cfg.Addr != tc.addr || cfg.DBName != tc.db {
			t.Errorf("%s: user %q pass %q addr %q db %q", tc.in, cfg.User, cfg.Passwd, cfg.Addr, cfg.DBName)
		}
		if !cfg.ParseTime || cfg.Loc != time.UTC || !strings.HasPrefix(cfg.Collation, "utf8mb4") {
			t.Errorf("%s: parseTime %v loc %v collation %q", tc.in, cfg.ParseTime, cfg.Loc, cfg.Collation)
		}
		if tc.param == "tls" && cfg.TLSConfig == "" && cfg.TLS == nil {
			t.Errorf("%s: tls parameter lost", tc.in)
		}
	}
}
