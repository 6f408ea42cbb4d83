package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// pipe batches commands into one round trip. Scripts are sent as EVALSHA (the
// digest, not the source); when the server does not know a script yet (first
// use, or its cache was emptied by a restart), exec runs that script again
// with its source, once. Only the scripts that failed with NOSCRIPT run
// again: they did nothing the first time, so running them now is not a
// double execution.
type pipe struct {
	c     *Client
	p     goredis.Pipeliner
	evals []*evalCall
}

// evalCall is a script call queued in a pipe. Read its result from cmd after
// exec: exec may replace it with the result of the second run.
type evalCall struct {
	s    *goredis.Script
	keys []string
	args []any
	cmd  *goredis.Cmd
}

func (c *Client) pipe() *pipe { return &pipe{c: c, p: c.rdb.Pipeline()} }

// eval queues a script call.
func (p *pipe) eval(ctx context.Context, s *goredis.Script, keys []string, args ...any) *evalCall {
	e := &evalCall{s: s, keys: keys, args: args, cmd: s.EvalSha(ctx, p.p, keys, args...)}
	p.evals = append(p.evals, e)
	return e
}

// exec sends the batch. It returns the first error of the batch (redis.Nil
// included), as go-redis does; callers look at each command's own error when
// some may fail on their own. With Options.WaitReplicas the batch is a write
// that must reach that many replicas before it counts (see execAndWait).
func (p *pipe) exec(ctx context.Context) error {
	if p.c.wait.replicas > 0 {
		return p.execAndWait(ctx)
	}
	return p.run(ctx, p.p, p.c.rdb)
}

// run executes pl and runs again, on sc, the scripts that met NOSCRIPT.
func (p *pipe) run(ctx context.Context, pl goredis.Pipeliner, sc goredis.Scripter) error {
	cmds, err := pl.Exec(ctx)
	if err == nil {
		return nil
	}
	again := false
	for _, e := range p.evals {
		if isNoScript(e.cmd.Err()) {
			again = true
			e.cmd = e.s.Run(ctx, sc, e.keys, e.args...)
		}
	}
	if !again {
		return err
	}
	// Report the first error left after the second runs.
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && !isNoScript(err) {
			return err
		}
	}
	for _, e := range p.evals {
		if err := e.cmd.Err(); err != nil {
			return err
		}
	}
	return nil
}

// replicaWait is how many replicas a write waits for, and how long.
type replicaWait struct {
	replicas int
	timeout  time.Duration
}

// errTooFewReplicas means that a write reached the master but not enough
// replicas in time: a failover now could lose it, so it is not acknowledged.
var errTooFewReplicas = errors.New("too few replicas acknowledged the write")

// execAndWait sends the batch, and any script it runs again, on one
// connection taken for the purpose, and then WAIT on that same connection:
// WAIT counts the replicas that have every write this connection made.
func (p *pipe) execAndWait(ctx context.Context) error {
	cl, ok := p.c.rdb.(*goredis.Client) // one server or Sentinel; Open refuses a cluster
	if !ok {
		return errors.New("waiting for replicas needs a single master")
	}
	cn := cl.Conn()
	defer cn.Close()
	pl := cn.Pipeline()
	if err := pl.BatchProcess(ctx, p.p.Cmds()...); err != nil {
		return err
	}
	p.p.Discard()
	if err := p.run(ctx, pl, cn); err != nil {
		return err
	}
	n, err := cn.Wait(ctx, p.c.wait.replicas, p.c.wait.timeout).Result()
	if err != nil {
		return err
	}
	if n < int64(p.c.wait.replicas) {
		return fmt.Errorf("%w: %d of %d within %v", errTooFewReplicas, n, p.c.wait.replicas, p.c.wait.timeout)
	}
	return nil
}

func isNoScript(err error) bool {
	var re goredis.Error
	return err != nil && errors.As(err, &re) && strings.HasPrefix(re.Error(), "NOSCRIPT")
}
