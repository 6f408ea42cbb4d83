package testserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// SentinelMaster is the name under which the Sentinels of a SentinelGroup
// watch its master.
const SentinelMaster = "miniauth"

// SentinelGroup is a Redis master with replicas, watched by three Sentinels
// with a quorum of two.
type SentinelGroup struct {
	// URL names the Sentinels in go-redis's failover URL form:
	// redis://127.0.0.1:S1/0?master_name=miniauth&addr=127.0.0.1:S2&addr=127.0.0.1:S3.
	URL string
	// Data are the Redis servers; Data[0] starts as the master.
	Data      []*Server
	Sentinels []*Server
}

var sharedSentinel struct {
	shared
	group *SentinelGroup
}

// RedisSentinelURL returns the URL of the Sentinel group (one master, one
// replica) shared by this test binary, starting it at the first call.
// Tests that share it must keep to keys of their own and must not fail it
// over.
func RedisSentinelURL(t testing.TB) string {
	t.Helper()
	sharedSentinel.get(t, func() (*Server, error) {
		g, err := startSentinelGroup(1)
		if err != nil {
			return nil, err
		}
		sharedSentinel.group = g
		return g.Data[0], nil
	})
	return sharedSentinel.group.URL
}

// NewRedisSentinel starts a master with the given number of replicas and
// three Sentinels for this test alone, and waits until the Sentinels know
// every replica and each other.
func NewRedisSentinel(t testing.TB, replicas int) *SentinelGroup {
	t.Helper()
	g, err := startSentinelGroup(replicas)
	if err != nil {
		skipOrFatal(t, err)
	}
	t.Cleanup(g.close)
	return g
}

func (g *SentinelGroup) close() {
	for _, s := range append(g.Sentinels, g.Data...) {
		s.close()
	}
}

func startSentinelGroup(replicas int) (*SentinelGroup, error) {
	g := &SentinelGroup{}
	fail := func(err error) (*SentinelGroup, error) {
		g.close()
		return nil, err
	}
	// No delay before the first full copy to a replica (default 5 s).
	master, err := startRedisNode("Redis-master", productionRedis, "--repl-diskless-sync-delay", "0")
	if err != nil {
		return fail(err)
	}
	g.Data = append(g.Data, master)
	for i := range replicas {
		r, err := startRedisNode(fmt.Sprintf("Redis-replica-%d", i+1), productionRedis, "--repl-diskless-sync-delay", "0",
			"--replicaof", "127.0.0.1", strconv.Itoa(master.port))
		if err != nil {
			return fail(err)
		}
		g.Data = append(g.Data, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// The Sentinels learn the replicas from the master's INFO: start them
	// once every replica is connected and has its first full copy (WAIT
	// counts only those).
	err = waitUntil(ctx, func(ctx context.Context) error {
		info, err := redisDo(ctx, master.Addr(), "INFO", "replication")
		if err != nil {
			return err
		}
		if got := strings.Count(info, "state=online"); got != replicas {
			return fmt.Errorf("%d of %d replicas online", got, replicas)
		}
		return nil
	})
	if err != nil {
		return fail(fmt.Errorf("testserver: replicas: %w", err))
	}
	var addrs []string
	for i := range 3 {
		s, err := startSentinel(i+1, master.port)
		if err != nil {
			return fail(err)
		}
		g.Sentinels = append(g.Sentinels, s)
		addrs = append(addrs, s.Addr())
	}
	for _, s := range g.Sentinels {
		err := waitUntil(ctx, func(ctx context.Context) error { return sentinelReady(ctx, s.Addr(), replicas) })
		if err != nil {
			return fail(fmt.Errorf("testserver: Sentinel did not get ready: %w\n%s", err, s.Log()))
		}
	}
	g.URL = "redis://" + addrs[0] + "/0?master_name=" + SentinelMaster + "&addr=" + strings.Join(addrs[1:], "&addr=")
	return g, nil
}

// startSentinel starts redis-server --sentinel watching the master on
// masterPort. It declares the master down after 1 s of silence (default
// 30 s) so that a failover takes a couple of seconds.
func startSentinel(n, masterPort int) (*Server, error) {
	bin, err := redisBinary()
	if err != nil {
		return nil, err
	}
	s, err := newServer(fmt.Sprintf("Redis-sentinel-%d", n), nil)
	if err != nil {
		return nil, err
	}
	s.stopSig = syscall.SIGTERM
	conf := filepath.Join(s.dir, "sentinel.conf")
	err = startOnFreePort(s, func(port int) {
		s.port = port
		// Sentinel rewrites its configuration file: it must be its own.
		text := fmt.Sprintf(`port %d
bind 127.0.0.1
protected-mode no
dir %s
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %[3]s 1000
sentinel failover-timeout %[3]s 10000
sentinel parallel-syncs %[3]s 1
`, port, s.dir, SentinelMaster, masterPort)
		os.WriteFile(conf, []byte(text), 0o600)
		s.argv = []string{bin, conf, "--sentinel", "--daemonize", "no", "--logfile", ""}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.ready = func(ctx context.Context) error { return redisPing(ctx, addr) }
	})
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// sentinelReady succeeds once the Sentinel at addr sees the master ok, with
// every replica and the two other Sentinels, and a quorum that can
// authorise a failover.
func sentinelReady(ctx context.Context, addr string, replicas int) error {
	info, err := redisDo(ctx, addr, "INFO", "sentinel")
	if err != nil {
		return err
	}
	want := fmt.Sprintf("status=ok,address=%s", "127.0.0.1")
	m := infoValue(info, "master0")
	if !strings.Contains(m, want) || !strings.Contains(m, fmt.Sprintf(",slaves=%d,sentinels=3", replicas)) {
		return fmt.Errorf("sentinel sees %q", m)
	}
	_, err = redisDo(ctx, addr, "SENTINEL", "CKQUORUM", SentinelMaster)
	return err
}

// Master asks the Sentinels for the current master's address.
func (g *SentinelGroup) Master(ctx context.Context) (string, error) {
	var last error
	for _, s := range g.Sentinels {
		a, err := redisDo(ctx, s.Addr(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMaster)
		if err == nil {
			host, port, _ := strings.Cut(a, "\n")
			return net.JoinHostPort(host, port), nil
		}
		last = err
	}
	return "", last
}

// Node returns the data server listening on addr, nil if none.
func (g *SentinelGroup) Node(addr string) *Server {
	for _, s := range g.Data {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
}
