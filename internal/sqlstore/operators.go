package sqlstore

import (
	"context"
	"time"

	"github.com/miniauth/miniauth"
)

var _ miniauth.OperatorStore = (*Store)(nil)

const operatorColumns = `id, name, password_hash, created_at, updated_at, locked_until`

const (
	qInsertOperator = `INSERT INTO operators (id, name, password_hash, created_at, updated_at, failed_count)
		VALUES (?, ?, ?, ?, ?, 0)`
	qOperatorByName  = `SELECT ` + operatorColumns + ` FROM operators WHERE name = ?`
	qOperators       = `SELECT ` + operatorColumns + ` FROM operators ORDER BY name`
	qAnyOperator     = `SELECT id FROM operators LIMIT 1`
	qSetOperatorPass = `UPDATE operators SET password_hash = ?, updated_at = ?, failed_count = 0,
		failed_since = NULL, locked_until = NULL WHERE name = ?`
	qOperatorIDByName = `SELECT id FROM operators WHERE name = ?`
	qDeleteOperator   = `DELETE FROM operators WHERE id = ?`
	qDeleteOpSessions = `DELETE FROM operator_sessions WHERE operator_id = ?`
	qFailures         = `SELECT failed_count, failed_since, locked_until FROM operators WHERE id = ?`
	qSetFailures      = `UPDATE operators SET failed_count = ?, failed_since = ?, locked_until = ? WHERE id = ?`
	qClearFailures    = `UPDATE operators SET failed_count = 0, failed_since = NULL WHERE id = ?`

	qInsertOpSession = `INSERT INTO operator_sessions (id, token_hash, operator_id, ip, user_agent, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	qOpSessionByHash = `SELECT s.id, s.token_hash, s.operator_id, o.name, s.ip, s.user_agent, s.created_at, s.expires_at
		FROM operator_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.token_hash = ?`
	qDeleteOpSession  = `DELETE FROM operator_sessions WHERE id = ?`
	qDeleteExpiredOps = `DELETE FROM operator_sessions WHERE expires_at < ?`
)

func scanOperator(row scanner) (*miniauth.Operator, error) {
	var op miniauth.Operator
	err := row.Scan(&op.ID, &op.Name, &op.PasswordHash, msTime{&op.CreatedAt}, msTime{&op.UpdatedAt},
		nullMsTime{&op.LockedUntil})
	if err != nil {
		return nil, err
	}
	return &op, nil
}

// CreateOperator stores a new operator; a name taken is EInvalidRequest.
func (s *Store) CreateOperator(ctx context.Context, op *miniauth.Operator) error {
	_, err := s.execW(ctx, qInsertOperator, op.ID, op.Name, op.PasswordHash, s.t(op.CreatedAt), s.t(op.UpdatedAt))
	if err != nil && s.d.class(err) == ClassUnique {
		return miniauth.Errorf(miniauth.EInvalidRequest, "an operator named %q exists already", op.Name)
	}
	return s.wrap("create operator", err)
}

// OperatorByName returns the operator or ENotFound. It reads the write
// pool: a lock set by another node's failed sign-in must be seen at once.
func (s *Store) OperatorByName(ctx context.Context, name string) (*miniauth.Operator, error) {
	op, err := scanOperator(s.w.QueryRowContext(ctx, s.d.rebind(qOperatorByName), name))
	if isNoRows(err) {
		return nil, notFound("operator")
	}
	return op, s.wrap("operator by name", err)
}

// Operators lists every operator by name.
func (s *Store) Operators(ctx context.Context) ([]*miniauth.Operator, error) {
	rows, err := s.query(ctx, qOperators)
	if err != nil {
		return nil, s.wrap("operators", err)
	}
	return collect(rows, scanOperator, s.wrapper("operators"))
}

// HasOperators reports whether an operator exists.
func (s *Store) HasOperators(ctx context.Context) (bool, error) {
	var id string
	err := s.queryRow(ctx, qAnyOperator).Scan(&id)
	if isNoRows(err) {
		return false, nil
	}
	return err == nil, s.wrap("has operators", err)
}

// SetOperatorPassword replaces the hash and unlocks the operator.
func (s *Store) SetOperatorPassword(ctx context.Context, name, hash string, at time.Time) error {
	res, err := s.execW(ctx, qSetOperatorPass, hash, s.t(at), name)
	if err != nil {
		return s.wrap("set operator password", err)
	}
	// A new hash always changes the row, so MySQL's count of changed rows
	// is the count of matched rows here.
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return s.wrap("set operator password", firstErr(err, notFound("operator")))
	}
	return nil
}

// RemoveOperator deletes the operator and its sessions.
func (s *Store) RemoveOperator(ctx context.Context, name string) error {
	return s.inTx(ctx, "remove operator", func(tx *Tx) error {
		var id string
		if err := tx.queryRow(qOperatorIDByName, name).Scan(&id); err != nil {
			if isNoRows(err) {
				return notFound("operator")
			}
			return err
		}
		// Not left to ON DELETE CASCADE: SQLite enforces it only with
		// foreign keys on.
		if _, err := tx.exec(qDeleteOpSessions, id); err != nil {
			return err
		}
		_, err := tx.exec(qDeleteOperator, id)
		return err
	})
}

// AddSignInFailure counts a failure in a transaction that locks the
// operator's row, so that failures on several nodes at once all count.
func (s *Store) AddSignInFailure(ctx context.Context, operatorID string, at time.Time, window time.Duration, max int) (time.Time, error) {
	var locked time.Time
	err := s.inTx(ctx, "add sign-in failure", func(tx *Tx) error {
		var count int
		var since, until time.Time
		err := tx.queryRow(qFailures+s.d.ForUpdate, operatorID).Scan(&count, nullMsTime{&since}, nullMsTime{&until})
		if isNoRows(err) {
			return notFound("operator")
		}
		if err != nil {
			return err
		}
		if since.IsZero() || !at.Before(since.Add(window)) {
			count, since = 0, at
		}
		count++
		locked = time.Time{}
		if count >= max {
			locked = at.Add(window).UTC().Truncate(time.Millisecond)
			count, since, until = 0, time.Time{}, locked
		}
		_, err = tx.exec(qSetFailures, count, s.nullT(since), s.nullT(until), operatorID)
		return err
	})
	return locked, err
}

// ClearSignInFailures forgets the failures (not a lock: a locked operator
// cannot sign in until the lock ends).
func (s *Store) ClearSignInFailures(ctx context.Context, operatorID string) error {
	_, err := s.execW(ctx, qClearFailures, operatorID)
	return s.wrap("clear sign-in failures", err)
}

// CreateOperatorSession stores a new console session.
func (s *Store) CreateOperatorSession(ctx context.Context, os *miniauth.OperatorSession) error {
	_, err := s.execW(ctx, qInsertOpSession, os.ID, os.TokenHash, os.OperatorID, os.IP, os.UserAgent,
		s.t(os.CreatedAt), s.t(os.ExpiresAt))
	return s.wrap("create operator session", err)
}

// OperatorSessionByHash returns the session with its operator's name.
func (s *Store) OperatorSessionByHash(ctx context.Context, tokenHash string) (*miniauth.OperatorSession, error) {
	var os miniauth.OperatorSession
	err := s.queryRow(ctx, qOpSessionByHash, tokenHash).Scan(&os.ID, &os.TokenHash, &os.OperatorID,
		&os.OperatorName, &os.IP, &os.UserAgent, msTime{&os.CreatedAt}, msTime{&os.ExpiresAt})
	if isNoRows(err) {
		return nil, notFound("operator session")
	}
	if err != nil {
		return nil, s.wrap("operator session", err)
	}
	return &os, nil
}

// DeleteOperatorSession ends a console session.
func (s *Store) DeleteOperatorSession(ctx context.Context, id string) error {
	_, err := s.execW(ctx, qDeleteOpSession, id)
	return s.wrap("delete operator session", err)
}

// DeleteExpiredOperatorSessions deletes sessions expired before t.
func (s *Store) DeleteExpiredOperatorSessions(ctx context.Context, before time.Time) (int, error) {
	res, err := s.execW(ctx, qDeleteExpiredOps, s.t(before))
	if err != nil {
		return 0, s.wrap("delete expired operator sessions", err)
	}
	n, err := res.RowsAffected()
	return int(n), s.wrap("delete expired operator sessions", err)
}
