package main

import (
	"os"
	"testing"

	"github.com/miniauth/miniauth/internal/testserver"
)

// runAsMainEnv makes the test binary act as the miniauth binary: the bench
// starts its children (the bare route, the simulator, the server) from
// os.Executable(), which in a test is this binary.
const runAsMainEnv = "GO_TEST_BINARY_IS_MINIAUTH" // not MINIAUTH_: the bench passes those on to no child

// TestMain runs main when started as the bench's child, and otherwise
// stops the throwaway database servers that the cluster tests start.
func TestMain(m *testing.M) {
	if os.Getenv(runAsMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	testserver.Main(m)
}
