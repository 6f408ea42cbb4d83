package config_test

import (
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
)

func TestEventsDefaultsAreTheNamedConstants(t *testing.T) {
	cfg := loadDefaults(t)
	o := cfg.Events.Options()
	if o.Retention != miniauth.DefaultEventRetention || o.QueueSize != miniauth.DefaultEventQueueSize ||
		o.BatchSize != miniauth.DefaultEventBatchSize || o.FlushInterval != miniauth.DefaultEventFlushInterval ||
		o.DayZone != time.UTC {
		t.Errorf("defaults %+v", o)
	}
}

func TestEventsFromEnvironment(t *testing.T) {
	cfg, warnings, err := config.Load("", []string{
		"MINIAUTH_EVENTS_RETENTION=720h", "MINIAUTH_EVENTS_QUEUE_SIZE=100", "MINIAUTH_EVENTS_BATCH_SIZE=100",
		"MINIAUTH_EVENTS_FLUSH_INTERVAL=1s", "MINIAUTH_EVENTS_DAY_ZONE=Asia/Shanghai",
	})
	if err != nil || len(warnings) > 0 {
		t.Fatalf("err %v, warnings %v", err, warnings)
	}
	o := cfg.Events.Options()
	if o.Retention != 720*time.Hour || o.QueueSize != 100 || o.BatchSize != 100 || o.FlushInterval != time.Second ||
		o.DayZone.String() != "Asia/Shanghai" {
		t.Errorf("options %+v", o)
	}
}

func TestEventsLimitsAtTheirEdges(t *testing.T) {
	checkEdges(t, []edge{
		{"MINIAUTH_EVENTS_RETENTION=1h", ""},
		{"MINIAUTH_EVENTS_RETENTION=59m", "(events.retention)"},
		{"MINIAUTH_EVENTS_RETENTION=87600h", ""},
		{"MINIAUTH_EVENTS_RETENTION=87601h", "(events.retention)"},
		{"MINIAUTH_EVENTS_BATCH_SIZE=1", ""},
		{"MINIAUTH_EVENTS_BATCH_SIZE=0", "(events.batch_size)"},
		{"MINIAUTH_EVENTS_BATCH_SIZE=1000", ""},
		{"MINIAUTH_EVENTS_BATCH_SIZE=1001", "(events.batch_size)"},
		{"MINIAUTH_EVENTS_QUEUE_SIZE=499", "(events.queue_size)"},
		{"MINIAUTH_EVENTS_QUEUE_SIZE=500", ""},
		{"MINIAUTH_EVENTS_FLUSH_INTERVAL=1ms", ""},
		{"MINIAUTH_EVENTS_FLUSH_INTERVAL=999us", "(events.flush_interval)"},
		{"MINIAUTH_EVENTS_FLUSH_INTERVAL=10s", ""},
		{"MINIAUTH_EVENTS_FLUSH_INTERVAL=11s", "(events.flush_interval)"},
		{"MINIAUTH_EVENTS_DAY_ZONE=Mars/Olympus", "(events.day_zone)"},
		{"MINIAUTH_EVENTS_DAY_ZONE=", "(events.day_zone)"},
	})
}
