//go:build !linux

package loadtest

import (
	"os"
	"os/exec"
)

// setParentDeathSignal does nothing where Linux's Pdeathsig does not exist:
// a child outlives a bench that is killed (Stop still ends it).
func setParentDeathSignal(*exec.Cmd) {}

// terminate kills the child: Windows has no SIGTERM, and elsewhere the
// children serve only the bench.
func terminate(p *os.Process) error { return p.Kill() }
