package console

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Calls reports the calls this node made to WeChat and the other
// platforms over the last 24 hours, by platform, endpoint and result. It
// reads the counters the wechat and platforms packages already keep
// (miniauth_wechat_calls_total, miniauth_platform_calls_total) from the
// Prometheus registry, and keeps a snapshot of them every hour for a day:
// the figures are the counters now minus the oldest snapshot not older than
// 24 hours (the start of the node, when it is younger). Each node counts
// its own calls; Prometheus sums them over the nodes.
type Calls struct {
	gather prometheus.Gatherer
	now    func() time.Time
	start  time.Time

	mu    sync.Mutex
	snaps []callSnapshot // oldest first
}

// CallCount is one line of the dashboard's table.
type CallCount struct {
	Platform, Endpoint, Result string
	Count                      int64
}

type callKey struct{ platform, endpoint, result string }

type callSnapshot struct {
	at     time.Time
	counts map[callKey]float64
}

// Timing of the snapshots.
const (
	callWindow        = 24 * time.Hour
	callSnapshotEvery = time.Hour
)

// NewCalls returns Calls over the registry, with a first (empty) snapshot:
// the counters start at zero with the process.
func NewCalls(gather prometheus.Gatherer, now func() time.Time) *Calls {
	if now == nil {
		now = time.Now
	}
	start := now()
	return &Calls{gather: gather, now: now, start: start, snaps: []callSnapshot{{at: start, counts: map[callKey]float64{}}}}
}

// Run takes a snapshot every hour until ctx ends.
func (c *Calls) Run(ctx context.Context) {
	t := time.NewTicker(callSnapshotEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.snapshot()
		}
	}
}

func (c *Calls) snapshot() {
	counts := c.read()
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snaps = append(c.snaps, callSnapshot{at: now, counts: counts})
	// Keep the newest snapshot older than the window as the baseline.
	for len(c.snaps) > 1 && !c.snaps[1].at.After(now.Add(-callWindow)) {
		c.snaps = c.snaps[1:]
	}
}

// Last24h returns the calls of the window, biggest counts first, and
// whether the window reaches back to the node's start (it is younger).
func (c *Calls) Last24h() ([]CallCount, bool) {
	now := c.read()
	c.mu.Lock()
	base := c.snaps[0]
	if len(c.snaps) > 1 && base.at.Before(c.now().Add(-callWindow)) {
		base = c.snaps[1]
	}
	sinceStart := base.at.Equal(c.start)
	c.mu.Unlock()
	var out []CallCount
	for k, v := range now {
		if n := int64(v - base.counts[k]); n > 0 {
			out = append(out, CallCount{Platform: k.platform, Endpoint: k.endpoint, Result: k.result, Count: n})
		}
	}
	slices.SortFunc(out, func(a, b CallCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Platform, b.Platform),
			cmp.Compare(a.Endpoint, b.Endpoint), cmp.Compare(a.Result, b.Result))
	})
	return out, sinceStart
}

// read sums the counters by platform, endpoint and result (over appids).
func (c *Calls) read() map[callKey]float64 {
	counts := map[callKey]float64{}
	families, _ := c.gather.Gather() // on an error, what it could read
	for _, f := range families {
		switch f.GetName() {
		case "miniauth_wechat_calls_total", "miniauth_platform_calls_total":
		default:
			continue
		}
		for _, m := range f.GetMetric() {
			k := callKey{platform: "weixin"}
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "platform":
					k.platform = l.GetValue()
				case "endpoint":
					k.endpoint = l.GetValue()
				case "errcode", "result":
					k.result = l.GetValue()
				}
			}
			counts[k] += m.GetCounter().GetValue()
		}
	}
	return counts
}
