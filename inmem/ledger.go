package inmem

import (
	"context"
	"sync"
	"time"

	"github.com/miniauth/miniauth"
)

// Ledger is a miniauth.SessionLedger in memory. A ledger that dies with
// the process records nothing durably: it is for tests of the Service's
// ledger checks, never for a deployment.
type Ledger struct {
	mu        sync.Mutex
	revoked   map[string]time.Time // session id -> kept until
	rotations map[string]ledgerRow // session id -> latest refresh hash
	ended     map[string]ledgerRow // user id -> latest ending
	instances map[string]time.Time // instance id -> first seen
}

var _ miniauth.SessionLedger = (*Ledger)(nil)

// ledgerRow is a value that a later at replaces, kept until until.
type ledgerRow struct {
	value     string
	at, until time.Time
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{
		revoked:   map[string]time.Time{},
		rotations: map[string]ledgerRow{},
		ended:     map[string]ledgerRow{},
		instances: map[string]time.Time{},
	}
}

// RecordRevoked notes that the session ended; again changes nothing.
func (l *Ledger) RecordRevoked(_ context.Context, sessionID string, until time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.revoked[sessionID]; !ok {
		l.revoked[sessionID] = storedTime(until)
	}
	return nil
}

// RecordUserSessionsEnded notes that the user's sessions created at or
// before at ended; a later at wins.
func (l *Ledger) RecordUserSessionsEnded(_ context.Context, userID string, at, until time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	keepLatest(l.ended, userID, ledgerRow{at: storedTime(at), until: storedTime(until)})
	return nil
}

// RecordRotation notes the session's refresh hash since at; a later at wins.
func (l *Ledger) RecordRotation(_ context.Context, sessionID, refreshHash string, at, until time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	keepLatest(l.rotations, sessionID, ledgerRow{value: refreshHash, at: storedTime(at), until: storedTime(until)})
	return nil
}

func keepLatest(rows map[string]ledgerRow, key string, row ledgerRow) {
	if got, ok := rows[key]; !ok || got.at.Before(row.at) {
		rows[key] = row
	}
}

// LedgerRecord returns what the ledger knows of the session and its user.
func (l *Ledger) LedgerRecord(_ context.Context, sessionID, userID string) (miniauth.LedgerRecord, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, revoked := l.revoked[sessionID]
	return miniauth.LedgerRecord{
		Revoked:             revoked,
		RefreshHash:         l.rotations[sessionID].value,
		UserSessionsEndedAt: l.ended[userID].at,
	}, nil
}

// InstanceFirstSeen records the instance the first time and returns when
// that was.
func (l *Ledger) InstanceFirstSeen(_ context.Context, instanceID string, at time.Time) (time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first, ok := l.instances[instanceID]
	if !ok {
		first = storedTime(at)
		l.instances[instanceID] = first
	}
	return first, nil
}

// PurgeLedger deletes the rows kept until before t; the instances stay.
func (l *Ledger) PurgeLedger(_ context.Context, before time.Time) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for id, until := range l.revoked {
		if until.Before(before) {
			delete(l.revoked, id)
			n++
		}
	}
	for _, rows := range []map[string]ledgerRow{l.rotations, l.ended} {
		for key, row := range rows {
			if row.until.Before(before) {
				delete(rows, key)
				n++
			}
		}
	}
	return n, nil
}
