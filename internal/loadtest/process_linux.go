package loadtest

import (
	"os"
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the child should the bench die without
// stopping it, so that no server is left behind holding a port or a
// database.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
