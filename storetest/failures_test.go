package storetest_test

import (
	"context"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/inmem"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/storetest"
)

// failureCounters are the implementations of miniauth.FailureCounter.
var failureCounters = []struct {
	name string
	open func(t *testing.T) miniauth.FailureCounter
}{
	{"inmem", func(t *testing.T) miniauth.FailureCounter { return inmem.NewFailureCounter(0) }},
	{"redis", func(t *testing.T) miniauth.FailureCounter {
		prefix := "storetest:" + miniauth.NewID() + ":"
		c, err := redis.Open(context.Background(), testserver.Redis(t), redis.Options{KeyPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		cleanupClose(t, c)
		return c.Failures()
	}},
}

func TestFailureCounters(t *testing.T) {
	for _, fc := range failureCounters {
		t.Run(fc.name, func(t *testing.T) {
			t.Parallel()
			storetest.TestFailureCounter(t, fc.open)
		})
	}
}
