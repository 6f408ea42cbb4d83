package testserver

import (
	"os"
	"strconv"
	"sync"
	"testing"
)

// startsEnv, when set to N, makes TestMySQLStartsInParallel start N
// MariaDB servers in each of three goroutines, the way the test binaries
// of a full run start theirs at the same time. It takes minutes, so it is
// off by default: MINIAUTH_TEST_MARIADB_STARTS=7 go test -run StartsInParallel ./internal/testserver
const startsEnv = "MINIAUTH_TEST_MARIADB_STARTS"

func TestMySQLStartsInParallel(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(startsEnv))
	if n <= 0 {
		t.Skipf("set %s=N to start 3×N MariaDB servers", startsEnv)
	}
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for i := range n {
				s, err := startMySQL()
				if err == nil {
					err = mysqlExec(s.mysqlDSN(""), "CREATE DATABASE started")
					s.close()
				}
				if err != nil {
					t.Errorf("start %d of goroutine %d: %v", i, g, err)
				}
			}
		})
	}
	wg.Wait()
}
