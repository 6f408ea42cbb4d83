package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/miniauth/miniauth"
)

var _ miniauth.WebLoginStore = (*Store)(nil)

const webLoginColumns = `ticket_hash, app_id, status, user_id, user_app_id, openid, created_at, expires_at, delivered`

const (
	qInsertWebLogin  = `INSERT INTO web_logins (` + webLoginColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qWebLogin        = `SELECT ` + webLoginColumns + ` FROM web_logins WHERE ticket_hash = ?`
	qAdvanceWebLogin = `UPDATE web_logins SET status = ?, user_id = ?, user_app_id = ?, openid = ?
		WHERE ticket_hash = ?`
	qClaimWebLogin          = `UPDATE web_logins SET delivered = 1 WHERE ticket_hash = ?`
	qUnclaimWebLogin        = `UPDATE web_logins SET delivered = 0 WHERE ticket_hash = ?`
	qDeleteExpiredWebLogins = `DELETE FROM web_logins WHERE expires_at < ?`
)

func scanWebLogin(row scanner) (*miniauth.WebLogin, error) {
	var w miniauth.WebLogin
	var delivered int
	err := row.Scan(&w.Hash, &w.AppID, &w.Status, &w.UserID, &w.UserAppID, &w.OpenID,
		msTime{&w.CreatedAt}, msTime{&w.ExpiresAt}, &delivered)
	if err != nil {
		return nil, err
	}
	w.Delivered = delivered != 0
	return &w, nil
}

// CreateWebLogin stores a new ticket.
func (s *Store) CreateWebLogin(ctx context.Context, w *miniauth.WebLogin) error {
	if w.Hash == "" {
		return miniauth.Errorf(miniauth.EInvalidRequest, "a new web login needs a ticket hash")
	}
	delivered := 0
	if w.Delivered {
		delivered = 1
	}
	_, err := s.execW(ctx, qInsertWebLogin, w.Hash, w.AppID, w.Status, w.UserID, w.UserAppID, w.OpenID,
		s.t(w.CreatedAt), s.t(w.ExpiresAt), delivered)
	return s.wrap("create web login", err)
}

// WebLogin returns the ticket with this hash, or ENotFound.
func (s *Store) WebLogin(ctx context.Context, hash string) (*miniauth.WebLogin, error) {
	w, err := scanWebLogin(s.queryRow(ctx, qWebLogin, hash))
	if isNoRows(err) {
		return nil, notFound("web login")
	}
	return w, s.wrap("web login", err)
}

// AdvanceWebLogin applies c if the ticket's status is one of from and it
// has not expired at c.At; see miniauth.WebLoginStore. The ticket's row is
// locked from the read to the write, so that of concurrent calls one wins.
func (s *Store) AdvanceWebLogin(ctx context.Context, hash string, from []string, c miniauth.WebLoginChange) (*miniauth.WebLogin, bool, error) {
	return s.casWebLogin(ctx, "advance web login", hash, func(tx *Tx, w *miniauth.WebLogin) (bool, error) {
		if !slices.Contains(from, w.Status) || !c.At.Before(w.ExpiresAt) {
			return false, nil
		}
		if _, err := tx.exec(qAdvanceWebLogin, c.Status, c.UserID, c.UserAppID, c.OpenID, hash); err != nil {
			return false, err
		}
		w.Status, w.UserID, w.UserAppID, w.OpenID = c.Status, c.UserID, c.UserAppID, c.OpenID
		return true, nil
	})
}

// ClaimWebLogin marks the tokens of a confirmed, unexpired ticket delivered,
// once; see miniauth.WebLoginStore.
func (s *Store) ClaimWebLogin(ctx context.Context, hash string, at time.Time) (*miniauth.WebLogin, bool, error) {
	return s.casWebLogin(ctx, "claim web login", hash, func(tx *Tx, w *miniauth.WebLogin) (bool, error) {
		if w.Status != miniauth.WebLoginConfirmed || w.Delivered || !at.Before(w.ExpiresAt) {
			return false, nil
		}
		if _, err := tx.exec(qClaimWebLogin, hash); err != nil {
			return false, err
		}
		w.Delivered = true
		return true, nil
	})
}

// UnclaimWebLogin undoes a claim; see miniauth.WebLoginStore.
func (s *Store) UnclaimWebLogin(ctx context.Context, hash string) error {
	_, err := s.execW(ctx, qUnclaimWebLogin, hash)
	return s.wrap("unclaim web login", err)
}

// casWebLogin reads the ticket's row locked in a write transaction and
// lets change decide whether to write it. The decision is made here rather
// than in the UPDATE's WHERE: MySQL counts only rows that changed value as
// affected, so an update that writes what is there already would look lost.
func (s *Store) casWebLogin(ctx context.Context, op, hash string, change func(*Tx, *miniauth.WebLogin) (bool, error)) (*miniauth.WebLogin, bool, error) {
	var w *miniauth.WebLogin
	var changed bool
	err := s.inTx(ctx, op, func(tx *Tx) error {
		var err error
		w, err = scanWebLogin(tx.queryRow(qWebLogin+s.d.ForUpdate, hash))
		if isNoRows(err) {
			return notFound("web login")
		}
		if err != nil {
			return err
		}
		changed, err = change(tx, w)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return w, changed, nil
}

// DeleteExpiredWebLogins deletes tickets that expired before the time.
func (s *Store) DeleteExpiredWebLogins(ctx context.Context, before time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind(qDeleteExpiredWebLogins), s.t(before))
	if err != nil {
		return 0, s.wrap("delete expired web logins", err)
	}
	n, err := res.RowsAffected()
	return int(n), s.wrap("delete expired web logins", err)
}
