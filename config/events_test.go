package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
)

func TestEventsDefaultsAreTheNamedConstants(t *testing.T) {
	cfg, _, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
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
	tests := []struct {
		env  string
		bad  string // the key named in the error; "" for a valid value
		more []string
	}{
		{env: "MINIAUTH_EVENTS_RETENTION=1h"},
		{env: "MINIAUTH_EVENTS_RETENTION=59m", bad: "events.retention"},
		{env: "MINIAUTH_EVENTS_RETENTION=87600h"},
		{env: "MINIAUTH_EVENTS_RETENTION=87601h", bad: "events.retention"},
		{env: "MINIAUTH_EVENTS_BATCH_SIZE=1"},
		{env: "MINIAUTH_EVENTS_BATCH_SIZE=0", bad: "events.batch_size"},
		{env: "MINIAUTH_EVENTS_BATCH_SIZE=1000"},
		{env: "MINIAUTH_EVENTS_BATCH_SIZE=1001", bad: "events.batch_size"},
		{env: "MINIAUTH_EVENTS_QUEUE_SIZE=499", bad: "events.queue_size"},
		{env: "MINIAUTH_EVENTS_QUEUE_SIZE=500"},
		{env: "MINIAUTH_EVENTS_FLUSH_INTERVAL=1ms"},
		{env: "MINIAUTH_EVENTS_FLUSH_INTERVAL=999us", bad: "events.flush_interval"},
		{env: "MINIAUTH_EVENTS_FLUSH_INTERVAL=10s"},
		{env: "MINIAUTH_EVENTS_FLUSH_INTERVAL=11s", bad: "events.flush_interval"},
		{env: "MINIAUTH_EVENTS_DAY_ZONE=Mars/Olympus", bad: "events.day_zone"},
		{env: "MINIAUTH_EVENTS_DAY_ZONE=", bad: "events.day_zone"},
	}
	for _, tt := range tests {
		_, _, err := config.Load("", []string{tt.env})
		switch {
		case tt.bad == "" && err != nil:
			t.Errorf("%s: %v", tt.env, err)
		case tt.bad != "" && (err == nil || !strings.Contains(err.Error(), "("+tt.bad+")")):
			t.Errorf("%s: error %v, want one naming %s", tt.env, err, tt.bad)
		}
	}
}
