package sqlstore

import (
	"context"

	"github.com/miniauth/miniauth"
)

const (
	qInsertAudit = `INSERT INTO audit_log (id, at, operator, action, target, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`
	auditColumns = `id, at, operator, action, target, ip, user_agent`
	qAuditFirst  = `SELECT ` + auditColumns + ` FROM audit_log ORDER BY at DESC, id DESC LIMIT ?`
	qAuditAfter  = `SELECT ` + auditColumns + ` FROM audit_log WHERE at < ? OR (at = ? AND id < ?)
		ORDER BY at DESC, id DESC LIMIT ?`
	defaultAuditPage = 50
	maxAuditPage     = 100
)

// AppendAudit records an operator action.
func (s *Store) AppendAudit(ctx context.Context, e *miniauth.AuditEntry) error {
	_, err := s.execW(ctx, qInsertAudit, e.ID, s.t(e.At), e.Operator, e.Action, e.Target, e.IP, e.UserAgent)
	return s.wrap("append audit", err)
}

// AuditLog returns a page of entries, newest first, following (at, id).
func (s *Store) AuditLog(ctx context.Context, f miniauth.AuditFilter) ([]*miniauth.AuditEntry, error) {
	limit := pageSize(f.Limit, defaultAuditPage, maxAuditPage)
	q, args := qAuditFirst, []any{limit}
	if !f.Before.IsZero() {
		q, args = qAuditAfter, []any{s.t(f.Before), s.t(f.Before), f.BeforeID, limit}
	}
	r, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("audit log", err)
	}
	return collect(r, scanAudit, s.wrapper("audit log"))
}

func scanAudit(row scanner) (*miniauth.AuditEntry, error) {
	var e miniauth.AuditEntry
	err := row.Scan(&e.ID, msTime{&e.At}, &e.Operator, &e.Action, &e.Target, &e.IP, &e.UserAgent)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// pageSize is the page size asked for, or the default, capped at max.
func pageSize(asked, def, max int) int {
	if asked <= 0 {
		return def
	}
	return min(asked, max)
}
