package redis

import (
	"context"
	"errors"
	"strings"

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
// some may fail on their own.
func (p *pipe) exec(ctx context.Context) error {
	cmds, err := p.p.Exec(ctx)
	if err == nil {
		return nil
	}
	again := false
	for _, e := range p.evals {
		if isNoScript(e.cmd.Err()) {
			again = true
			e.cmd = e.s.Run(ctx, p.c.rdb, e.keys, e.args...)
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

func isNoScript(err error) bool {
	var re goredis.Error
	return err != nil && errors.As(err, &re) && strings.HasPrefix(re.Error(), "NOSCRIPT")
}
