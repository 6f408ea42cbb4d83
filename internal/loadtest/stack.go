package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// StackOptions say how to start what the bench measures, all from the
// miniauth binary at Self.
type StackOptions struct {
	Self    string   // the miniauth binary
	Environ []string // the bench's environment; its MINIAUTH_ variables are not passed on
	// Server false starts only the bare route (the server runs elsewhere).
	Server        bool
	AppID, Secret string // the app the server and the simulator share
	DB, Redis     string // the server's stores; DB empty: SQLite in DataDir
	DataDir       string // the server's data directory
	// KeyEncryptionKeyFile holds the server's key encryption key (it seals
	// access tokens' claims, and with jwt the signing keys); empty: a new
	// one each start.
	KeyEncryptionKeyFile string
	// TokenFormat is the server's access-token format: "opaque" (empty)
	// or "jwt", with a key-encryption key made for the run.
	TokenFormat string
	ServerLog   io.Writer
	// Debug starts the server with its debug listener (debug.addr) on a
	// free loopback port: Stack.DebugURL.
	Debug bool
}

// Stack is the bare gin route, the WeChat simulator and the miniauth
// server, each a process of its own: the server's CPU time is then its own,
// without the simulator's share of a login.
type Stack struct {
	Bare, Sim, Server *Process
	DebugURL          string // the server's debug listener, with StackOptions.Debug
}

// StartStack starts the bare route, then (with o.Server) the simulator and
// a server that uses it as WeChat, configured for app o.AppID as in
// production rather than in dev mode.
func StartStack(ctx context.Context, o StackOptions) (s *Stack, err error) {
	s = &Stack{}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	env := childEnv(o.Environ)
	if s.Bare, err = StartProcess(ctx, ProcessSpec{Path: o.Self, Args: []string{"bench-bare", "--addr", "127.0.0.1:0"},
		Env: env, Banner: BareBanner}); err != nil {
		return s, err
	}
	if !o.Server {
		return s, nil
	}
	if s.Sim, err = StartProcess(ctx, ProcessSpec{Path: o.Self, Args: []string{"wxsim", "--addr", "127.0.0.1:0", "--app", o.AppID + ":" + o.Secret},
		Env: env, Banner: "wxsim listening on "}); err != nil {
		return s, err
	}
	serverEnv := append(env,
		"MINIAUTH_HTTP_ADDR=127.0.0.1:0",
		"MINIAUTH_DATA_DIR="+o.DataDir,
		"MINIAUTH_WECHAT_APPID="+o.AppID,
		"MINIAUTH_WECHAT_SECRET="+o.Secret,
		"MINIAUTH_WECHAT_BASE_URL="+s.Sim.URL,
		// One client address makes every request: per-address limits would
		// measure themselves.
		"MINIAUTH_HTTP_AUTH_RATE=0",
		"MINIAUTH_THROTTLE_IP_FAILURES=0",
	)
	if o.KeyEncryptionKeyFile != "" {
		serverEnv = append(serverEnv, "MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY_FILE="+o.KeyEncryptionKeyFile)
	} else {
		serverEnv = append(serverEnv, "MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY="+randomHex(32))
	}
	if o.TokenFormat == "jwt" {
		serverEnv = append(serverEnv, "MINIAUTH_TOKENS_FORMAT=jwt", "MINIAUTH_TOKENS_ISSUER=http://127.0.0.1")
	}
	if o.DB != "" {
		serverEnv = append(serverEnv, "MINIAUTH_DB_URL="+o.DB)
	}
	if o.Redis != "" {
		serverEnv = append(serverEnv, "MINIAUTH_REDIS_URL="+o.Redis)
	}
	if o.Debug {
		addr, err := freeLoopbackAddr()
		if err != nil {
			return s, err
		}
		serverEnv = append(serverEnv, "MINIAUTH_DEBUG_ADDR="+addr)
		s.DebugURL = "http://" + addr
	}
	s.Server, err = StartProcess(ctx, ProcessSpec{Path: o.Self, Args: []string{"serve"}, Env: serverEnv,
		Banner: "miniauth listening on ", Stderr: o.ServerLog})
	return s, err
}

// freeLoopbackAddr is a loopback address with a port free a moment ago,
// for a child to listen on.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// childEnv is the bench's environment without MINIAUTH_ variables, so that
// the children's configuration is only what the bench says.
func childEnv(environ []string) []string {
	var env []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "MINIAUTH_") {
			env = append(env, kv)
		}
	}
	return env
}

// Stop stops the server first (it may be mid-request to the simulator).
func (s *Stack) Stop() {
	for _, p := range []*Process{s.Server, s.Sim, s.Bare} {
		if p != nil {
			p.Stop()
		}
	}
}

// TempDataDir makes a fresh data directory for a server without seeded
// data; remove it when done.
func TempDataDir() (string, error) {
	dir, err := os.MkdirTemp("", "miniauth-bench-")
	if err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	return filepath.Abs(dir)
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
