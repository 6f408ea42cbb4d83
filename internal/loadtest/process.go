package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// processStartTimeout bounds how long a child may take to listen (a server
// opening a large SQLite file or migrating a fresh database included).
const processStartTimeout = 60 * time.Second

// processStopGrace is how long a child may take to stop after SIGTERM
// before it is killed.
const processStopGrace = 10 * time.Second

// ProcessSpec describes a child process that serves HTTP and says where on
// its standard output.
type ProcessSpec struct {
	Path   string   // the binary
	Args   []string // its arguments
	Env    []string // its whole environment
	Banner string   // the stdout line that carries its URL starts with this
	Stderr io.Writer
}

// Process is a running child of the bench, each in its own process so that
// its CPU time and memory can be read apart from the load client's.
type Process struct {
	URL  string
	PID  int
	cmd  *exec.Cmd
	done chan error
}

// StartProcess starts the child and waits until it prints its URL.
func StartProcess(ctx context.Context, spec ProcessSpec) (*Process, error) {
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = spec.Env
	cmd.Stderr = spec.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = io.Discard
	}
	setParentDeathSignal(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{PID: cmd.Process.Pid, cmd: cmd, done: make(chan error, 1)}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() { // read to the end, so that the child never blocks on a full pipe
			if u, ok := strings.CutPrefix(sc.Text(), spec.Banner); ok {
				select {
				case urlc <- strings.TrimSpace(u):
				default:
				}
			}
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	name := spec.Args[0]
	select {
	case p.URL = <-urlc:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("%s exited before listening: %v", name, err)
	case <-time.After(processStartTimeout):
		p.Stop()
		return nil, fmt.Errorf("%s did not listen within %v", name, processStartTimeout)
	case <-ctx.Done():
		p.Stop()
		return nil, ctx.Err()
	}
}

// Stop asks the child to stop (SIGTERM, then a kill after a grace period)
// and waits for it.
func (p *Process) Stop() {
	if err := terminate(p.cmd.Process); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
	case <-time.After(processStopGrace):
		p.cmd.Process.Kill()
		<-p.done
	}
}
