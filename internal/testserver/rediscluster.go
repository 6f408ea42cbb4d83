package testserver

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// RedisCluster is a running Redis Cluster of three masters without replicas.
type RedisCluster struct {
	// URL names every master in go-redis's cluster URL form:
	// redis://127.0.0.1:P1?addr=127.0.0.1:P2&addr=127.0.0.1:P3.
	URL   string
	Nodes []*Server
}

var sharedCluster struct {
	shared
	cluster *RedisCluster
}

// RedisClusterURL returns the URL of the Redis Cluster shared by this test
// binary, starting it at the first call. Tests that share it must keep to
// keys of their own.
func RedisClusterURL(t testing.TB) string {
	t.Helper()
	sharedCluster.get(t, func() (*Server, error) {
		c, err := startRedisCluster(3)
		if err != nil {
			return nil, err
		}
		sharedCluster.cluster = c
		return c.Nodes[0], nil
	})
	return sharedCluster.cluster.URL
}

// NewRedisCluster starts a three-master Redis Cluster for this test alone.
func NewRedisCluster(t testing.TB) *RedisCluster {
	t.Helper()
	c, err := startRedisCluster(3)
	if err != nil {
		skipOrFatal(t, err)
	}
	t.Cleanup(func() {
		for _, n := range c.Nodes {
			n.close()
		}
	})
	return c
}

// startRedisCluster starts n cluster-enabled servers, gives each an equal
// range of slots, introduces them to each other and waits until every node
// reports the cluster state ok.
func startRedisCluster(n int) (*RedisCluster, error) {
	c := &RedisCluster{}
	fail := func(err error) (*RedisCluster, error) {
		for _, s := range c.Nodes {
			s.close()
		}
		return nil, err
	}
	for i := range n {
		s, err := startRedisNode(fmt.Sprintf("Redis-cluster-%d", i+1), productionRedis,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			// A node is failed after 2 s of silence (default 15 s), so
			// that outage tests see the cluster come back soon.
			"--cluster-node-timeout", "2000")
		if err != nil {
			return fail(err)
		}
		c.Nodes = append(c.Nodes, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	addrs := make([]string, n)
	for i, s := range c.Nodes {
		addrs[i] = s.Addr()
		first, last := i*clusterSlots/n, (i+1)*clusterSlots/n-1
		if _, err := redisDo(ctx, addrs[i], "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(first), strconv.Itoa(last)); err != nil {
			return fail(fmt.Errorf("testserver: cluster slots: %w", err))
		}
	}
	for i := 1; i < n; i++ {
		if _, err := redisDo(ctx, addrs[0], "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(c.Nodes[i].port)); err != nil {
			return fail(fmt.Errorf("testserver: cluster meet: %w", err))
		}
	}
	for _, s := range c.Nodes {
		if err := waitUntil(ctx, func(ctx context.Context) error { return clusterOK(ctx, s.Addr(), n) }); err != nil {
			return fail(fmt.Errorf("testserver: the cluster did not form: %w\n%s", err, s.Log()))
		}
	}
	c.URL = "redis://" + addrs[0] + "?addr=" + strings.Join(addrs[1:], "&addr=")
	return c, nil
}

// clusterOK succeeds once the node at addr sees the cluster state ok with n
// known nodes.
func clusterOK(ctx context.Context, addr string, n int) error {
	info, err := redisDo(ctx, addr, "CLUSTER", "INFO")
	if err != nil {
		return err
	}
	if st, known := infoValue(info, "cluster_state"), infoValue(info, "cluster_known_nodes"); st != "ok" || known != strconv.Itoa(n) {
		return fmt.Errorf("cluster_state %s with %s known nodes", st, known)
	}
	return nil
}

// waitUntil polls check until it succeeds or ctx ends. Setting up a cluster
// or a Sentinel group is gossip between the servers: there is no event to
// wait for, only a state to look at.
func waitUntil(ctx context.Context, check func(context.Context) error) error {
	never := make(chan struct{})
	return waitReady(ctx, check, never)
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }
