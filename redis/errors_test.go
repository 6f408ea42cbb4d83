package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/miniauth/miniauth"
	goredis "github.com/redis/go-redis/v9"
)

// serverErr is an error as the Redis server sends it.
type serverErr string

func (e serverErr) Error() string { return string(e) }
func (serverErr) RedisError()     {}

var _ goredis.Error = serverErr("")

func TestWrapErr(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, miniauth.EUpstreamUnavailable},
		{"timeout", &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, miniauth.EUpstreamUnavailable},
		{"closed by server", io.EOF, miniauth.EUpstreamUnavailable},
		{"reset", fmt.Errorf("write: %w", syscall.ECONNRESET), miniauth.EUpstreamUnavailable},
		{"deadline", context.DeadlineExceeded, miniauth.EUpstreamUnavailable},
		{"pool exhausted", goredis.ErrPoolTimeout, miniauth.EUpstreamUnavailable},
		{"client closed", goredis.ErrClosed, miniauth.EUpstreamUnavailable},
		{"loading", serverErr("LOADING Redis is loading the dataset in memory"), miniauth.EUpstreamUnavailable},
		{"replica", serverErr("READONLY You can't write against a read only replica."), miniauth.EUpstreamUnavailable},
		{"script error", serverErr("ERR user_script:1: Script attempted to access nonexistent global variable"), miniauth.EInternal},
		{"wrong type", serverErr("WRONGTYPE Operation against a key holding the wrong kind of value"), miniauth.EInternal},
		{"other", errors.New("something odd"), miniauth.EInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrapErr("op", tt.err)
			if got := miniauth.ErrorCode(err); got != tt.want {
				t.Fatalf("code %q, want %q (err %v)", got, tt.want, err)
			}
			if tt.err == nil {
				return
			}
			// The cause stays reachable, and the code survives more wrapping.
			if !errors.Is(err, tt.err) {
				t.Errorf("the cause is lost: %v", err)
			}
			if got := miniauth.ErrorCode(fmt.Errorf("outer: %w", err)); got != tt.want {
				t.Errorf("code after wrapping %q, want %q", got, tt.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
