package miniauth

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// SessionLedger is the durable record, in the SQL database, of how sessions
// ended, for session stores that may lose acknowledged writes (Redis, whose
// restart can bring back an old snapshot). What it says cannot be outvoted
// by such a store: a copy of a session that the ledger calls ended never
// works again. Implementation: internal/sqlstore (SQLite, PostgreSQL,
// MySQL). SQL session stores are their own truth and need no ledger.
//
// Every row is kept until its until time and then purged.
type SessionLedger interface {
	// RecordRevoked notes that the session ended.
	RecordRevoked(ctx context.Context, sessionID string, until time.Time) error

	// RecordUserSessionsEnded notes that every session of the user created
	// at or before at ended (a disable, or "log out everywhere"). A later at
	// wins over an earlier one.
	RecordUserSessionsEnded(ctx context.Context, userID string, at, until time.Time) error

	// RecordRotation notes that the session's current refresh token, since
	// at, has hash refreshHash. A later at wins over an earlier one.
	RecordRotation(ctx context.Context, sessionID, refreshHash string, at, until time.Time) error

	// LedgerRecord returns what the ledger knows of the session and its user
	// (the zero record when nothing).
	LedgerRecord(ctx context.Context, sessionID, userID string) (LedgerRecord, error)

	// InstanceFirstSeen records, the first time it is called with an
	// instance id (Redis's run_id), that the instance was first seen at at,
	// and returns that first time.
	InstanceFirstSeen(ctx context.Context, instanceID string, at time.Time) (time.Time, error)

	// PurgeLedger deletes the rows kept until before t and returns how many.
	PurgeLedger(ctx context.Context, before time.Time) (int, error)
}

// LedgerRecord is what the ledger knows of one session and its user.
type LedgerRecord struct {
	Revoked bool
	// RefreshHash is the session's refresh hash after its latest recorded
	// rotation; empty when it was never rotated.
	RefreshHash string
	// UserSessionsEndedAt: the user's sessions created at or before it have
	// ended; zero when none.
	UserSessionsEndedAt time.Time
}

// Ends reports whether the record ends a copy of a session with this
// creation time whose current refresh hash is refreshHash: it was revoked,
// the user's sessions were ended after it began, or it was rotated since
// (the copy is stale, and its tokens are ones handed out before).
func (r LedgerRecord) Ends(createdAt time.Time, refreshHash string) bool {
	return r.Revoked ||
		(r.RefreshHash != "" && r.RefreshHash != refreshHash) ||
		(!r.UserSessionsEndedAt.IsZero() && !createdAt.After(r.UserSessionsEndedAt))
}

// DefaultClockSkew is how far apart the clocks of the nodes may be, by
// default: TrustBoundary adds it to the time a store instance was first
// seen.
const DefaultClockSkew = 5 * time.Second

// TrustBoundary follows the instances of a session store that may lose data
// (each Redis start has a new run_id; a promoted replica has its own) and
// answers the time before which a copy of a session read from it is not
// trusted without asking the ledger: the first sighting of the newest
// instance met, plus the clock skew. Tokens issued after it were written
// to that instance (or a later one) and are the store's own; older ones may
// have come back from a snapshot.
type TrustBoundary struct {
	ledger SessionLedger
	skew   time.Duration
	now    func() time.Time

	boundary atomic.Int64 // Unix ms; the hot path reads it
	mu       sync.Mutex
	known    map[string]bool
}

// NewTrustBoundary returns a boundary that records instances in ledger.
// skew <= 0 takes DefaultClockSkew; now nil takes time.Now.
func NewTrustBoundary(ledger SessionLedger, skew time.Duration, now func() time.Time) *TrustBoundary {
	if skew <= 0 {
		skew = DefaultClockSkew
	}
	if now == nil {
		now = time.Now
	}
	return &TrustBoundary{ledger: ledger, skew: skew, now: now, known: map[string]bool{}}
}

// InstanceSeen is called on every new connection to the store, before any
// command runs on it, with the instance id the server reports. An instance
// this process has not met moves the boundary (never back). An error (the
// ledger is unreachable) must fail the connection: nothing may be read from
// an instance whose boundary is unknown.
func (b *TrustBoundary) InstanceSeen(ctx context.Context, instanceID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.known[instanceID] {
		return nil
	}
	first, err := b.ledger.InstanceFirstSeen(ctx, instanceID, b.now())
	if err != nil {
		return err
	}
	if t := first.Add(b.skew).UnixMilli(); t > b.boundary.Load() {
		b.boundary.Store(t)
	}
	b.known[instanceID] = true
	return nil
}

// Time returns the boundary: a session whose tokens were issued before it is
// checked against the ledger.
func (b *TrustBoundary) Time() time.Time { return time.UnixMilli(b.boundary.Load()).UTC() }

// The service's side of the ledger. Each helper does nothing without a
// ledger (sessions in SQL are their own truth).

// recordRevoked notes the sessions' end. Their rows outlive any token the
// sessions can hold: a refresh token lives RefreshTTL from its issue.
func (s *Service) recordRevoked(ctx context.Context, sessionIDs []string) error {
	if s.ledger == nil {
		return nil
	}
	until := s.opts.Now().Add(s.opts.RefreshTTL)
	for _, id := range sessionIDs {
		if err := s.ledger.RecordRevoked(ctx, id, until); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) recordUserSessionsEnded(ctx context.Context, userID string) error {
	if s.ledger == nil {
		return nil
	}
	now := s.opts.Now()
	return s.ledger.RecordUserSessionsEnded(ctx, userID, now, now.Add(s.opts.RefreshTTL))
}

// recordRotation runs after the store rotated a session: the store decided
// the winner, but its copy may be one that came back from a snapshot, so
// the ledger has the last word. A rotation of a copy the ledger says ended
// revokes it; otherwise the rotation is recorded before the new tokens are
// handed out.
func (s *Service) recordRotation(ctx context.Context, rotated *Session, presentedHash string, at time.Time) error {
	if s.ledger == nil {
		return nil
	}
	rec, err := s.ledger.LedgerRecord(ctx, rotated.ID, rotated.UserID)
	if err != nil {
		return err
	}
	if rec.Ends(rotated.CreatedAt, presentedHash) {
		s.log.Warn("refresh of a session the ledger says ended; revoking it", "session_id", rotated.ID)
		if err := s.revoke(ctx, rotated.ID); err != nil {
			return err
		}
		return errUnauthorized
	}
	return s.ledger.RecordRotation(ctx, rotated.ID, rotated.RefreshHash, at, rotated.RefreshExpiresAt)
}

// confirm checks a session just read from the store against the ledger when
// its tokens were issued before the trust boundary, so that an ended
// session that came back with an old snapshot is refused and deleted. Later
// sessions are the store's own: the hot path stays off the database.
func (s *Service) confirm(ctx context.Context, x *Session) error {
	if s.ledger == nil || (s.boundary != nil && !x.IssuedAt.Before(s.boundary.Time())) {
		return nil
	}
	rec, err := s.ledger.LedgerRecord(ctx, x.ID, x.UserID)
	if err != nil {
		return err
	}
	if !rec.Ends(x.CreatedAt, x.RefreshHash) {
		return nil
	}
	s.log.Warn("a session the ledger says ended came back from the session store; deleting it", "session_id", x.ID)
	if err := s.sessions.RevokeSession(ctx, x.ID); err != nil {
		s.log.Warn("deleting a resurrected session", "session_id", x.ID, "err", err)
	}
	return errUnauthorized
}
