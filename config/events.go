package config

import (
	"time"
	_ "time/tzdata" // events.day_zone names a zone even where the system has no zoneinfo

	"github.com/miniauth/miniauth"
)

// Events configures the login events (miniauth.EventOptions): how long
// they are kept, and how the background writer batches them.
type Events struct {
	Retention     Duration `toml:"retention"`      // events older than this are purged
	QueueSize     int      `toml:"queue_size"`     // events waiting for the writer at most; past it, dropped
	BatchSize     int      `toml:"batch_size"`     // events written at once at most
	FlushInterval Duration `toml:"flush_interval"` // how long an event waits for others
	DayZone       string   `toml:"day_zone"`       // IANA zone of the daily counts' days
}

func defaultEvents() Events {
	return Events{
		Retention:     Duration{miniauth.DefaultEventRetention},
		QueueSize:     miniauth.DefaultEventQueueSize,
		BatchSize:     miniauth.DefaultEventBatchSize,
		FlushInterval: Duration{miniauth.DefaultEventFlushInterval},
		DayZone:       "UTC",
	}
}

// Bounds of the events' settings. A batch past 1,000 events would near the
// engines' limits on a statement's parameters (8 per event); an interval
// past 10 s keeps events in memory that a crash loses.
const (
	minEventRetention     = time.Hour
	maxEventRetention     = 10 * 365 * 24 * time.Hour
	maxEventBatchSize     = 1000
	minEventFlushInterval = time.Millisecond
	maxEventFlushInterval = 10 * time.Second
)

// Options are the configured options for the service; the caller sets the
// store and the apps' platforms.
func (e Events) Options() miniauth.EventOptions {
	zone, err := time.LoadLocation(e.DayZone)
	if err != nil {
		zone = time.UTC // validated by Load
	}
	return miniauth.EventOptions{
		Retention:     e.Retention.Duration,
		QueueSize:     e.QueueSize,
		BatchSize:     e.BatchSize,
		FlushInterval: e.FlushInterval.Duration,
		DayZone:       zone,
	}
}

func (e Events) validate(bad problemFunc) {
	if d := e.Retention.Duration; d < minEventRetention || d > maxEventRetention {
		bad("events.retention", "must be between %v and %v", minEventRetention, maxEventRetention)
	}
	if e.BatchSize < 1 || e.BatchSize > maxEventBatchSize {
		bad("events.batch_size", "must be from 1 to %d", maxEventBatchSize)
	}
	if e.QueueSize < e.BatchSize {
		bad("events.queue_size", "must be at least events.batch_size (%d)", e.BatchSize)
	}
	if d := e.FlushInterval.Duration; d < minEventFlushInterval || d > maxEventFlushInterval {
		bad("events.flush_interval", "must be between %v and %v", minEventFlushInterval, maxEventFlushInterval)
	}
	if _, err := time.LoadLocation(e.DayZone); err != nil || e.DayZone == "" || e.DayZone == "Local" {
		bad("events.day_zone", "must be an IANA time zone such as UTC or Asia/Shanghai")
	}
}
