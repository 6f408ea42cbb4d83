package redis

import (
	"testing"

	"github.com/miniauth/miniauth/internal/testserver"
)

// Deployments are the shapes of Redis that every store test runs on: one
// server, a three-master Redis Cluster (which proves the keys' hash tags:
// a script whose keys span slots fails there with CROSSSLOT) and a master
// found through Sentinel. Each is shared by the test binary.
var Deployments = []struct {
	Name string
	URL  func(testing.TB) string
}{
	{"single", func(t testing.TB) string { return testserver.Redis(t) }},
	{"cluster", testserver.RedisClusterURL},
	{"sentinel", testserver.RedisSentinelURL},
}

// ForEachDeployment runs test once per deployment, as subtests.
func ForEachDeployment(t *testing.T, test func(t *testing.T, url string)) {
	for _, d := range Deployments {
		t.Run(d.Name, func(t *testing.T) { test(t, d.URL(t)) })
	}
}
