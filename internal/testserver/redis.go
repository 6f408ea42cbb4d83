package testserver

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const redisMissing = "Redis is not installed (redis-server not found): the Redis suite did not run; scripts/test.sh installs it"

var sharedRedis shared

// Redis returns the URL of the Redis server shared by this test binary,
// "redis://127.0.0.1:PORT/0", starting it at the first call. Tests that
// share it must keep to keys of their own. It skips the test when
// redis-server is not installed.
func Redis(t testing.TB) string {
	t.Helper()
	return sharedRedis.get(t, startRedis).URL
}

// NewRedis starts a Redis server for this test alone, with append-only
// persistence fsynced on every write. The test may Stop (or Kill) and Start
// it again (same port, same directory) to simulate an outage; it is
// stopped and removed at the end of the test.
func NewRedis(t testing.TB) *Server {
	t.Helper()
	return NewRedisWith(t, RedisConfig{AppendFsync: "always"})
}

// RedisConfig chooses a test Redis's persistence.
type RedisConfig struct {
	// AppendFsync turns append-only persistence on with this fsync policy
	// ("always", "everysec", "no"); empty leaves it off, as redis-server's
	// own default does.
	AppendFsync string
	// Save is the snapshot schedule ("3600 1 300 100", say); empty takes
	// none. Snapshots can also be taken on demand with SAVE or BGSAVE.
	Save string
	// NoConfig renames CONFIG away, as managed Redis services do.
	NoConfig bool
}

// NewRedisWith starts a Redis server for this test alone with cfg, as
// NewRedis does.
func NewRedisWith(t testing.TB, cfg RedisConfig) *Server {
	t.Helper()
	s, err := startRedisWith(cfg)
	if err != nil {
		skipOrFatal(t, err)
	}
	t.Cleanup(s.close)
	return s
}

// productionRedis is append-only, like a production Redis: a test that
// stops and starts the server finds its data again.
var productionRedis = RedisConfig{AppendFsync: "always"}

func startRedis() (*Server, error) { return startRedisWith(productionRedis) }

func startRedisWith(cfg RedisConfig) (*Server, error) { return startRedisNode("Redis", cfg) }

// redisBinary finds redis-server, which also runs Sentinel (--sentinel).
func redisBinary() (string, error) {
	bin, ok := findBinary([]string{"redis-server"}, "/usr/bin", "/usr/local/bin", "/usr/sbin")
	if !ok {
		return "", errNotInstalled(redisMissing)
	}
	return bin, nil
}

// startRedisNode starts one redis-server with the options every test server
// has, then extra ones (cluster mode, replicaof).
func startRedisNode(name string, cfg RedisConfig, extra ...string) (*Server, error) {
	bin, err := redisBinary()
	if err != nil {
		return nil, err
	}
	s, err := newServer(name, nil)
	if err != nil {
		return nil, err
	}
	s.stopSig = syscall.SIGTERM
	err = startOnFreePort(s, func(port int) {
		s.port = port
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.URL = "redis://" + addr + "/0"
		s.argv = []string{bin,
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--dir", s.dir, "--save", cfg.Save,
			"--daemonize", "no", "--protected-mode", "no", "--logfile", "",
		}
		if cfg.AppendFsync != "" {
			s.argv = append(s.argv, "--appendonly", "yes", "--appendfsync", cfg.AppendFsync)
		} else {
			s.argv = append(s.argv, "--appendonly", "no")
		}
		if cfg.NoConfig {
			s.argv = append(s.argv, "--rename-command", "CONFIG", "")
		}
		s.argv = append(s.argv, extra...)
		s.ready = func(ctx context.Context) error { return redisPing(ctx, addr) }
	})
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// redisPing speaks just enough RESP to see the server answer PING.
func redisPing(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}
