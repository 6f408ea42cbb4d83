package redis

import (
	"context"
	"errors"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/batch"
	goredis "github.com/redis/go-redis/v9"
)

// DefaultReadBatch is Options.ReadBatch's default.
const DefaultReadBatch = 64

// accessReads sends the lookups of sessions by access token that arrive
// while one round trip is in flight together, as one pipeline. Verify asks
// for a session it has not cached, and a round trip costs a write and a
// read system call on both sides: with a million sessions drawn at random,
// those calls were a third of the server's CPU. Nobody waits for a batch to
// fill: a lookup that finds Redis idle goes at once.
type accessReads struct {
	st *sessionStore
	g  *batch.Gatherer[*accessRead]
}

// accessRead is one caller's lookup, waiting for its batch.
type accessRead struct {
	ctx    context.Context
	hash   string
	result chan accessReply // buffered: the batch never waits for its caller
}

type accessReply struct {
	session *miniauth.Session
	err     error
}

// errClosing answers lookups once the client is closing.
var errClosing = miniauth.Errorf(miniauth.EUpstreamUnavailable, "the Redis client is closing")

func newAccessReads(st *sessionStore, max int) *accessReads {
	r := &accessReads{st: st}
	r.g = batch.Start(max, 0, r.send, func(op *accessRead) { op.result <- accessReply{err: errClosing} })
	return r
}

// get looks the session up in the next batch.
func (r *accessReads) get(ctx context.Context, hash string) (*miniauth.Session, error) {
	op := &accessRead{ctx: ctx, hash: hash, result: make(chan accessReply, 1)}
	if err := r.g.Add(ctx, op); errors.Is(err, batch.ErrClosed) {
		return nil, errClosing
	} else if err != nil {
		return nil, err
	}
	select {
	case rep := <-op.result:
		return rep.session, rep.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-r.g.Closing():
		return nil, errClosing
	}
}

func (r *accessReads) close() { r.g.Close() }

// send runs one batch as a pipeline, under the latest deadline of its
// callers, and answers each. A caller that has given up is left out.
func (r *accessReads) send(ops []*accessRead) {
	live := ops[:0:0]
	limit := time.Now().Add(maxReadWait)
	var latest time.Time
	for _, op := range ops {
		if op.ctx.Err() != nil {
			continue
		}
		live = append(live, op)
		d, ok := op.ctx.Deadline()
		if !ok || d.After(limit) {
			d = limit
		}
		if d.After(latest) {
			latest = d
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), latest)
	defer cancel()
	k := r.st.c.keys
	before, after := k.sessionAffixes()
	p := r.st.c.pipe()
	calls := make([]*evalCall, len(live))
	for i, op := range live {
		calls[i] = p.eval(ctx, sessionByAccess, []string{k.access(op.hash)}, before, after)
	}
	// Each command's own error is read below (a missing session is
	// redis.Nil on its command alone).
	_ = p.run(ctx, p.p, r.st.c.rdb)
	for i, op := range live {
		op.result <- accessReplyOf(calls[i].cmd)
	}
}

// maxReadWait bounds a batch whose callers set no deadline.
const maxReadWait = 10 * time.Second

func accessReplyOf(cmd *goredis.Cmd) accessReply {
	res, err := cmd.Slice()
	if errors.Is(err, goredis.Nil) {
		return accessReply{err: miniauth.Errorf(miniauth.ENotFound, "session not found")}
	}
	if err != nil {
		return accessReply{err: wrapErr("get session", err)}
	}
	s, err := parseSessionReply(res)
	return accessReply{session: s, err: err}
}
