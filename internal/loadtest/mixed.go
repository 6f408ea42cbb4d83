package loadtest

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// MixedRun is the memory check: many requests of every kind, the server's
// resident memory sampled all along.
type MixedRun struct {
	Requests  int64         `json:"requests"`
	Errors    int64         `json:"errors"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	PerSecond float64       `json:"req_per_s"`
	RSS       RSSWindow     `json:"server_rss"`
	// FirstError is the first failure, if any.
	FirstError string `json:"first_error,omitempty"`
}

// mixedOp picks request n's kind: out of 20, one new-user login, one
// refresh of the worker's own session, nine verify and nine me, which is
// about what a day of a mini program looks like with a 2-hour access token.
func (d *driver) mixedOp(ctx context.Context, w *worker, n int64) error {
	switch n % 20 {
	case 0:
		_, err := d.login(ctx, w)
		return err
	case 1:
		return d.refresh(ctx, w)
	case 2, 3, 4, 5, 6, 7, 8, 9, 10:
		return d.get(ctx, w, "/api/v1/auth/verify", d.randomToken(w))
	default:
		return d.get(ctx, w, "/api/v1/me", d.randomToken(w))
	}
}

// mixed sends d.o.Mixed requests from every worker.
func (d *driver) mixed(ctx context.Context) (*MixedRun, error) {
	m := &MixedRun{}
	stop := d.sampleMemory(&m.RSS)
	var next, failures atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for _, w := range d.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := next.Add(1) - 1
				if n >= int64(d.o.Mixed) {
					return
				}
				if err := d.mixedOp(ctx, w, n); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	m.Elapsed = time.Since(start)
	stop()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	m.Requests = int64(d.o.Mixed)
	m.Errors = failures.Load()
	m.PerSecond = float64(m.Requests) / m.Elapsed.Seconds()
	if v := firstErr.Load(); v != nil {
		m.FirstError = v.(string)
	}
	return m, nil
}
