package console

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The table shows the counters now minus the snapshot of 24 hours ago, or
// everything since the start on a younger node.
func TestCallsOverTheLastDay(t *testing.T) {
	reg := prometheus.NewRegistry()
	wx := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "miniauth_wechat_calls_total"}, []string{"endpoint", "errcode"})
	qq := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "miniauth_platform_calls_total"}, []string{"platform", "endpoint", "appid", "result"})
	reg.MustRegister(wx, qq)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := NewCalls(reg, func() time.Time { return now })

	wx.WithLabelValues("sns/jscode2session", "0").Add(5)
	qq.WithLabelValues("qq", "sns/jscode2session", "app1", "40029").Add(2)
	qq.WithLabelValues("qq", "sns/jscode2session", "app2", "40029").Add(1) // summed over appids
	got, sinceStart := c.Last24h()
	if !sinceStart || len(got) != 2 || got[0] != (CallCount{"weixin", "sns/jscode2session", "0", 5}) ||
		got[1] != (CallCount{"qq", "sns/jscode2session", "40029", 3}) {
		t.Fatalf("since start: %v %v", got, sinceStart)
	}
	// Hourly snapshots for a day and a half; 5 more calls in the last hour.
	for range 36 {
		now = now.Add(time.Hour)
		c.snapshot()
	}
	wx.WithLabelValues("sns/jscode2session", "0").Add(5)
	got, sinceStart = c.Last24h()
	if sinceStart || len(got) != 1 || got[0].Count != 5 {
		t.Fatalf("last 24 h: %v %v", got, sinceStart)
	}
	if len(c.snaps) > 26 {
		t.Errorf("%d snapshots kept: older ones are not dropped", len(c.snaps))
	}
}
