package httpapi

import (
	"sync"
	"time"
)

// ipLimiter is a token bucket per client IP. Its memory is bounded: when it
// tracks too many IPs it forgets the ones whose buckets are full again (they
// would behave the same as new ones).
type ipLimiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

const maxTrackedIPs = 100_000

func newIPLimiter(rate float64, burst int, now func() time.Time) *ipLimiter {
	return &ipLimiter{rate: rate, burst: float64(burst), now: now, buckets: make(map[string]*bucket)}
}

func (l *ipLimiter) allow(ip string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[ip]
	if !ok {
		if len(l.buckets) >= maxTrackedIPs {
			l.forgetFull(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[ip] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *ipLimiter) forgetFull(now time.Time) {
	for ip, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, ip)
		}
	}
	if len(l.buckets) >= maxTrackedIPs {
		// Every tracked IP is busy: start over rather than grow.
		l.buckets = make(map[string]*bucket)
	}
}
