package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/miniauth/miniauth"
	goredis "github.com/redis/go-redis/v9"
)

// ErrNoAOF is Open's error for a Redis without append-only persistence
// when Options.AllowWithoutAOF is not set: such a Redis, restarted, comes
// back with its last snapshot and without every session acknowledged since.
var ErrNoAOF = errors.New("redis: appendonly is off, so a Redis restart loses the sessions acknowledged since its last snapshot; set appendonly yes (with appendfsync everysec or always)")

// instanceHook returns go-redis's OnConnect hook: it reads the server's
// run_id, which changes whenever Redis restarts (and differs on a promoted
// replica), and reports it before any command runs on the connection. An
// error fails the connection, and with it the command that needed it.
func instanceHook(seen func(ctx context.Context, runID string) error) func(context.Context, *goredis.Conn) error {
	return func(ctx context.Context, cn *goredis.Conn) error {
		info, err := cn.Info(ctx, "server").Result()
		if err != nil {
			return fmt.Errorf("info server: %w", err)
		}
		id := infoField(info, "run_id")
		if id == "" {
			return errors.New("redis: INFO server reports no run_id")
		}
		return seen(ctx, id)
	}
}

// checkPersistence reads the server's persistence settings. Without
// append-only persistence it refuses (ErrNoAOF) unless allowed, and then
// says loudly what that costs. A server that refuses CONFIG (managed Redis
// services often do) gets a warning: we cannot tell, the operator must.
func (c *Client) checkPersistence(ctx context.Context, allowWithoutAOF bool) error {
	vals, err := c.rdb.ConfigGet(ctx, "append*").Result()
	if err != nil {
		if unavailable(err) {
			return err
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "redis: cannot read the persistence settings (CONFIG GET refused); "+
			"make sure the server runs with appendonly yes and appendfsync everysec or always, "+
			"or a Redis restart will lose acknowledged sessions", errAttr(err))
		return nil
	}
	switch aof, fsync := vals["appendonly"], vals["appendfsync"]; {
	case aof != "yes" && !allowWithoutAOF:
		return ErrNoAOF
	case aof != "yes":
		c.log.Error("redis: RUNNING WITHOUT APPEND-ONLY PERSISTENCE: a Redis restart loses every session " +
			"acknowledged since its last snapshot (ended sessions stay ended: the database's ledger sees to it); " +
			"set appendonly yes in production")
	case fsync == "no":
		c.log.Warn("redis: appendfsync no: a crash of the machine (not only of Redis) may lose the last " +
			"~30 s of acknowledged sessions; everysec or always avoid that")
	}
	return nil
}

// ledgerUnavailable reports whether err is a miniauth error saying that a
// store is unavailable, as the instance hook's ledger may return.
func ledgerUnavailable(err error) bool {
	var me *miniauth.Error
	return errors.As(err, &me) && me.Code == miniauth.EUpstreamUnavailable
}
