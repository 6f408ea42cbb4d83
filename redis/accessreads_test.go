package redis

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/storetest"
	goredis "github.com/redis/go-redis/v9"
)

// pipelineSizes records the size of every pipeline the client sends.
type pipelineSizes struct {
	mu    sync.Mutex
	sizes []int
}

func (h *pipelineSizes) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (h *pipelineSizes) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }
func (h *pipelineSizes) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.mu.Lock()
		h.sizes = append(h.sizes, len(cmds))
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

func openWithReadBatch(t *testing.T, batch int) (*Client, *pipelineSizes) {
	t.Helper()
	c, err := Open(context.Background(), testserver.Redis(t), Options{KeyPrefix: testPrefix(t), ReadBatch: batch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	h := &pipelineSizes{}
	c.rdb.AddHook(h)
	return c, h
}

// Lookups made at once share round trips, never more than ReadBatch in
// one, and each gets its own session, or not found for a token that has
// none.
func TestConcurrentLookupsShareRoundTrips(t *testing.T) {
	const max, n = 8, 200
	c, sizes := openWithReadBatch(t, max)
	ctx := context.Background()
	sessions := make([]*miniauth.Session, n)
	for i := range sessions {
		sessions[i] = storetest.NewSession(fmt.Sprintf("user-%d", i), time.Now())
		if err := c.Sessions().CreateSession(ctx, sessions[i]); err != nil {
			t.Fatal(err)
		}
	}
	sizes.mu.Lock()
	sizes.sizes = nil
	sizes.mu.Unlock()

	var wg sync.WaitGroup
	var wrong atomic.Int32
	for i := range 2 * n {
		wg.Go(func() {
			if i >= n { // a token no session has
				if _, err := c.Sessions().SessionByAccessHash(ctx, fmt.Sprintf("%064d", i)); miniauth.ErrorCode(err) != miniauth.ENotFound {
					t.Errorf("unknown token: %v", err)
				}
				return
			}
			got, err := c.Sessions().SessionByAccessHash(ctx, sessions[i].AccessHash)
			if err != nil || got.ID != sessions[i].ID || got.UserID != sessions[i].UserID {
				wrong.Add(1)
			}
		})
	}
	wg.Wait()
	if wrong.Load() > 0 {
		t.Fatalf("%d lookups answered another session or an error", wrong.Load())
	}
	sizes.mu.Lock()
	defer sizes.mu.Unlock()
	shared := 0
	for _, s := range sizes.sizes {
		if s > max {
			t.Fatalf("a pipeline of %d lookups, want at most %d", s, max)
		}
		if s > 1 {
			shared++
		}
	}
	if shared == 0 || len(sizes.sizes) >= 2*n {
		t.Fatalf("%d lookups in %d round trips, %d of them shared", 2*n, len(sizes.sizes), shared)
	}
}

// ReadBatch 1 sends each lookup alone, without the batcher.
func TestReadBatchOneSendsEachAlone(t *testing.T) {
	c, _ := openWithReadBatch(t, 1)
	if c.sessions.reads != nil {
		t.Fatal("a batcher with ReadBatch 1")
	}
	s := storetest.NewSession("user", time.Now())
	ctx := context.Background()
	if err := c.Sessions().CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Sessions().SessionByAccessHash(ctx, s.AccessHash); err != nil || got.ID != s.ID {
		t.Fatalf("lookup: %v, %v", got, err)
	}
}

// A caller that gave up is answered with its context's error at once; a
// lookup on a closing client is unavailable (503), not stuck.
func TestLookupsEndWithTheirCallerOrTheClient(t *testing.T) {
	c, _ := openWithReadBatch(t, 4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Sessions().SessionByAccessHash(ctx, fmt.Sprintf("%064d", 1)); err != context.Canceled {
		t.Fatalf("a cancelled lookup: %v", err)
	}
	c.Close()
	_, err := c.Sessions().SessionByAccessHash(context.Background(), fmt.Sprintf("%064d", 2))
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("a lookup after Close: %v", err)
	}
}

func TestNegativeReadBatchIsRefused(t *testing.T) {
	_, err := Open(context.Background(), testserver.Redis(t), Options{KeyPrefix: testPrefix(t), ReadBatch: -1})
	if miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
		t.Fatalf("ReadBatch -1: %v", err)
	}
}
