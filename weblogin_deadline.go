package miniauth

import (
	"context"
	"time"
)

// WebLogins returns s with every call bounded by d; DeleteExpiredWebLogins,
// which runs in the background, gets at least a minute.
func (d Deadline) WebLogins(s WebLoginStore) WebLoginStore { return deadlineWebLogins{d, s} }

// WebLoginEvents returns e with every publication bounded by d.
func (d Deadline) WebLoginEvents(e WebLoginEvents) WebLoginEvents {
	return deadlineWebLoginEvents{d, e}
}

type deadlineWebLogins struct {
	d Deadline
	s WebLoginStore
}

func (w deadlineWebLogins) CreateWebLogin(ctx context.Context, x *WebLogin) error {
	return w.d.run(ctx, w.d.timeout(), "create web login", func(ctx context.Context) error {
		return w.s.CreateWebLogin(ctx, x)
	})
}

func (w deadlineWebLogins) WebLogin(ctx context.Context, hash string) (*WebLogin, error) {
	return call(ctx, w.d, "web login", func(ctx context.Context) (*WebLogin, error) {
		return w.s.WebLogin(ctx, hash)
	})
}

func (w deadlineWebLogins) AdvanceWebLogin(ctx context.Context, hash string, from []string, c WebLoginChange) (*WebLogin, bool, error) {
	var changed bool
	x, err := call(ctx, w.d, "advance web login", func(ctx context.Context) (*WebLogin, error) {
		x, ok, err := w.s.AdvanceWebLogin(ctx, hash, from, c)
		changed = ok
		return x, err
	})
	return x, changed, err
}

func (w deadlineWebLogins) ClaimWebLogin(ctx context.Context, hash string, at time.Time) (*WebLogin, bool, error) {
	var claimed bool
	x, err := call(ctx, w.d, "claim web login", func(ctx context.Context) (*WebLogin, error) {
		x, ok, err := w.s.ClaimWebLogin(ctx, hash, at)
		claimed = ok
		return x, err
	})
	return x, claimed, err
}

func (w deadlineWebLogins) UnclaimWebLogin(ctx context.Context, hash string) error {
	return w.d.run(ctx, w.d.timeout(), "unclaim web login", func(ctx context.Context) error {
		return w.s.UnclaimWebLogin(ctx, hash)
	})
}

func (w deadlineWebLogins) DeleteExpiredWebLogins(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := w.d.run(ctx, max(w.d.timeout(), purgeTimeout), "delete expired web logins", func(ctx context.Context) error {
		var err error
		n, err = w.s.DeleteExpiredWebLogins(ctx, before)
		return err
	})
	return n, err
}

type deadlineWebLoginEvents struct {
	d Deadline
	e WebLoginEvents
}

func (e deadlineWebLoginEvents) PublishWebLoginChanged(ctx context.Context, hash string) error {
	return e.d.run(ctx, e.d.timeout(), "publish web login change", func(ctx context.Context) error {
		return e.e.PublishWebLoginChanged(ctx, hash)
	})
}

func (e deadlineWebLoginEvents) SubscribeWebLoginChanged(ctx context.Context, changed func(string), reset func()) {
	e.e.SubscribeWebLoginChanged(ctx, changed, reset)
}
