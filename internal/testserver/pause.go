package testserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Pause freezes the server with SIGSTOP, every process of it (PostgreSQL's
// backends too): it keeps its port and its connections, and the kernel
// still accepts new connections into the listen backlog, but nothing
// answers. This is a stalled server, as a hung disk, a swapped-out host or
// a network that drops packets make one; Stop is one that is gone. Resume
// lets it run on. Stop works on a paused server.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume lets a paused server run on (SIGCONT).
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return fmt.Errorf("testserver: %s is not running", s.name)
	}
	return s.signalAll(sig)
}

// signalAll signals the server's process and then every process it
// forked. Signalling its process group would not do: PostgreSQL's backends
// each run in a session of their own. The main process goes first, so
// that a stopped server forks no new backend while its children are
// listed.
func (s *Server) signalAll(sig syscall.Signal) error {
	pid := s.cmd.Process.Pid
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("testserver: signal %v to %s: %w", sig, s.name, err)
	}
	for _, child := range descendants(pid) {
		syscall.Kill(child, sig) // one that just exited is no matter
	}
	return nil
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	children := map[int][]int{}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			continue
		}
		child, err1 := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		parent, err2 := strconv.Atoi(fields[1])
		if err1 == nil && err2 == nil {
			children[parent] = append(children[parent], child)
		}
	}
	var out []int
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return out
}
