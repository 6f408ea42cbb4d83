package miniauth

import (
	"context"
	"time"
)

// The deadline wrappers of the stores that only some deployments have: the
// session ledger and the signing keys (in the database), and the login
// throttle's failure counter (in Redis).

// Ledger returns l with every call bounded by d; PurgeLedger, which runs in
// the background, gets at least a minute.
func (d Deadline) Ledger(l SessionLedger) SessionLedger { return deadlineLedger{d, l} }

// Failures returns c with every call bounded by d.
func (d Deadline) Failures(c FailureCounter) FailureCounter { return deadlineFailures{d, c} }

// SigningKeys returns s with every call bounded by d.
func (d Deadline) SigningKeys(s SigningKeyStore) SigningKeyStore { return deadlineSigningKeys{d, s} }

type deadlineLedger struct {
	d Deadline
	l SessionLedger
}

func (l deadlineLedger) RecordRevoked(ctx context.Context, sessionID string, until time.Time) error {
	return l.d.run(ctx, l.d.timeout(), "record revoked", func(ctx context.Context) error {
		return l.l.RecordRevoked(ctx, sessionID, until)
	})
}

func (l deadlineLedger) RecordUserSessionsEnded(ctx context.Context, userID string, at, until time.Time) error {
	return l.d.run(ctx, l.d.timeout(), "record user sessions ended", func(ctx context.Context) error {
		return l.l.RecordUserSessionsEnded(ctx, userID, at, until)
	})
}

func (l deadlineLedger) RecordRotation(ctx context.Context, sessionID, refreshHash string, at, until time.Time) error {
	return l.d.run(ctx, l.d.timeout(), "record rotation", func(ctx context.Context) error {
		return l.l.RecordRotation(ctx, sessionID, refreshHash, at, until)
	})
}

func (l deadlineLedger) LedgerRecord(ctx context.Context, sessionID, userID string) (LedgerRecord, error) {
	return call(ctx, l.d, "ledger record", func(ctx context.Context) (LedgerRecord, error) {
		return l.l.LedgerRecord(ctx, sessionID, userID)
	})
}

func (l deadlineLedger) InstanceFirstSeen(ctx context.Context, instanceID string, at time.Time) (time.Time, error) {
	return call(ctx, l.d, "instance first seen", func(ctx context.Context) (time.Time, error) {
		return l.l.InstanceFirstSeen(ctx, instanceID, at)
	})
}

func (l deadlineLedger) PurgeLedger(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := l.d.run(ctx, max(l.d.timeout(), purgeTimeout), "purge ledger", func(ctx context.Context) error {
		var err error
		n, err = l.l.PurgeLedger(ctx, before)
		return err
	})
	return n, err
}

type deadlineFailures struct {
	d Deadline
	c FailureCounter
}

func (f deadlineFailures) Failures(ctx context.Context, key string, now time.Time) (FailureWindow, error) {
	return call(ctx, f.d, "failures", func(ctx context.Context) (FailureWindow, error) {
		return f.c.Failures(ctx, key, now)
	})
}

func (f deadlineFailures) AddFailure(ctx context.Context, key string, now time.Time, window time.Duration) (FailureWindow, error) {
	return call(ctx, f.d, "add failure", func(ctx context.Context) (FailureWindow, error) {
		return f.c.AddFailure(ctx, key, now, window)
	})
}

type deadlineSigningKeys struct {
	d Deadline
	s SigningKeyStore
}

func (k deadlineSigningKeys) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	return call(ctx, k.d, "signing keys", k.s.SigningKeys)
}

func (k deadlineSigningKeys) InsertSigningKey(ctx context.Context, key SigningKey) (bool, error) {
	return call(ctx, k.d, "insert signing key", func(ctx context.Context) (bool, error) {
		return k.s.InsertSigningKey(ctx, key)
	})
}

func (k deadlineSigningKeys) DeleteSigningKey(ctx context.Context, id string) error {
	return k.d.run(ctx, k.d.timeout(), "delete signing key", func(ctx context.Context) error {
		return k.s.DeleteSigningKey(ctx, id)
	})
}

// LoginEvents returns s with every call bounded by d, except
// PurgeLoginEvents, which runs in the background and gets at least a
// minute. The writer bounds each batch itself.
func (d Deadline) LoginEvents(s LoginEventStore) LoginEventStore { return deadlineLoginEvents{d, s} }

type deadlineLoginEvents struct {
	d Deadline
	s LoginEventStore
}

func (e deadlineLoginEvents) RecordLoginEvents(ctx context.Context, events []LoginEvent, daily []LoginDailyCount) error {
	return e.d.run(ctx, max(e.d.timeout(), eventWriteTimeout), "record login events", func(ctx context.Context) error {
		return e.s.RecordLoginEvents(ctx, events, daily)
	})
}

func (e deadlineLoginEvents) UserLoginEvents(ctx context.Context, userID string, before time.Time, limit int) ([]LoginEvent, error) {
	return call(ctx, e.d, "user login events", func(ctx context.Context) ([]LoginEvent, error) {
		return e.s.UserLoginEvents(ctx, userID, before, limit)
	})
}

func (e deadlineLoginEvents) LoginDailyCounts(ctx context.Context, fromDay, toDay string) ([]LoginDailyCount, error) {
	return call(ctx, e.d, "login daily counts", func(ctx context.Context) ([]LoginDailyCount, error) {
		return e.s.LoginDailyCounts(ctx, fromDay, toDay)
	})
}

func (e deadlineLoginEvents) PurgeLoginEvents(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := e.d.run(ctx, max(e.d.timeout(), purgeTimeout), "purge login events", func(ctx context.Context) error {
		var err error
		n, err = e.s.PurgeLoginEvents(ctx, before)
		return err
	})
	return n, err
}

// Endings returns e with every call bounded by d, except
// PurgeSessionEndings, which runs in the background and gets at least a
// minute.
func (d Deadline) Endings(e SessionEndingStore) SessionEndingStore { return deadlineEndings{d, e} }

type deadlineEndings struct {
	d Deadline
	e SessionEndingStore
}

func (e deadlineEndings) RecordSessionEndings(ctx context.Context, endings []SessionEnding) error {
	return e.d.run(ctx, e.d.timeout(), "record session endings", func(ctx context.Context) error {
		return e.e.RecordSessionEndings(ctx, endings)
	})
}

func (e deadlineEndings) SessionEndingsAfter(ctx context.Context, seq int64, now time.Time, limit int) ([]SessionEnding, error) {
	return call(ctx, e.d, "session endings", func(ctx context.Context) ([]SessionEnding, error) {
		return e.e.SessionEndingsAfter(ctx, seq, now, limit)
	})
}

func (e deadlineEndings) PurgeSessionEndings(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := e.d.run(ctx, max(e.d.timeout(), purgeTimeout), "purge session endings", func(ctx context.Context) error {
		var err error
		n, err = e.e.PurgeSessionEndings(ctx, before)
		return err
	})
	return n, err
}
