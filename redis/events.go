package redis

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/miniauth/miniauth"
	goredis "github.com/redis/go-redis/v9"
)

// sessionEvents announces changes on a pub/sub channel, one message per
// id: session changes on "<prefix>session-changed" (one message per session
// id), and scan-to-log-in tickets on "<prefix>web-login-changed" (one per
// ticket hash, weblogin.go).
//
// Pub/sub delivers only to those subscribed at the moment of publishing: a
// subscriber that was disconnected for a while has lost what was sent
// meanwhile, with no way to ask for it again. That is why the subscriber
// calls reset (drop the whole cache) whenever it cannot be sure it saw every
// message.
type sessionEvents struct {
	c       *Client
	channel func(keys) string // names the pub/sub channel, read at each use
	what    string            // names the events in log lines: "session events"

	backoffMin, backoffMax time.Duration // between reconnection attempts
	healthEvery            time.Duration // ping a silent subscription this often
}

var _ miniauth.SessionEvents = (*sessionEvents)(nil)

func (e *sessionEvents) PublishSessionChanged(ctx context.Context, sessionIDs ...string) error {
	ch := e.channel(e.c.keys)
	switch len(sessionIDs) {
	case 0:
		return nil
	case 1:
		return wrapErr("publish", e.c.rdb.Publish(ctx, ch, sessionIDs[0]).Err())
	}
	p := e.c.rdb.Pipeline()
	for _, id := range sessionIDs {
		p.Publish(ctx, ch, id)
	}
	_, err := p.Exec(ctx)
	return wrapErr("publish", err)
}

// SubscribeSessionChanged keeps one subscription alive until ctx ends. When
// the connection is lost it calls reset, waits (50 ms, doubling up to 2 s)
// and subscribes again, calling reset after each failed attempt and once
// more when the new subscription is confirmed.
func (e *sessionEvents) SubscribeSessionChanged(ctx context.Context, changed func(sessionID string), reset func()) {
	log := e.c.log
	backoff := e.backoffMin
	down := false // whether the last attempt failed, to log only changes
	for {
		reset()
		if ctx.Err() != nil {
			return
		}
		live, err := e.subscribeOnce(ctx, changed, reset)
		if ctx.Err() != nil {
			return
		}
		reset()
		if live {
			backoff = e.backoffMin
			log.LogAttrs(ctx, slog.LevelWarn, "redis: "+e.what+" subscription lost; reconnecting", errAttr(err))
			down = false
		} else if !down {
			log.LogAttrs(ctx, slog.LevelWarn, "redis: cannot subscribe to "+e.what+"; retrying", errAttr(err))
			down = true
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, e.backoffMax)
	}
}

// subscribeOnce subscribes on a new connection and delivers messages until
// the connection fails or ctx ends. live says whether the subscription was
// confirmed before it ended.
func (e *sessionEvents) subscribeOnce(ctx context.Context, changed func(string), reset func()) (live bool, err error) {
	ps := e.c.rdb.Subscribe(ctx) // no channel yet: connects on Subscribe below
	defer ps.Close()
	// A blocked read does not watch ctx; closing the connection ends it.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()

	if err := ps.Subscribe(ctx, e.channel(e.c.keys)); err != nil {
		return false, err
	}
	for {
		msg, err := ps.ReceiveTimeout(ctx, e.healthEvery)
		if err != nil {
			return false, err
		}
		if sub, ok := msg.(*goredis.Subscription); ok && sub.Kind == "subscribe" {
			break
		}
	}
	// Live from here on; whatever was published before may have been missed.
	reset()
	e.c.log.LogAttrs(ctx, slog.LevelDebug, "redis: subscribed to "+e.what)

	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, e.healthEvery)
		if err != nil {
			// Silence is normal; silence after a ping is a dead link
			// (a peer that vanished without closing the connection).
			if isTimeout(err) && !pinged {
				if err := ps.Ping(ctx); err != nil {
					return true, err
				}
				pinged = true
				continue
			}
			return true, err
		}
		pinged = false
		switch m := msg.(type) {
		case *goredis.Message:
			changed(m.Payload)
		case *goredis.Subscription:
			// go-redis reconnected under us and subscribed again:
			// messages in between are lost.
			if m.Kind == "subscribe" {
				reset()
			}
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// newEvents returns the events of one channel, reconnecting after 50 ms,
// doubling up to 2 s, and pinging a subscription silent for 5 s.
func newEvents(c *Client, channel func(keys) string, what string) *sessionEvents {
	return &sessionEvents{c: c, channel: channel, what: what,
		backoffMin: 50 * time.Millisecond, backoffMax: 2 * time.Second, healthEvery: 5 * time.Second}
}
