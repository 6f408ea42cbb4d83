package sqlstore

import (
	"context"

	"github.com/miniauth/miniauth"
)

// Identities: (platform, app_id, openid) is the primary key, so an
// identity belongs to one account at most. identity_unions holds, per
// (platform, unionid), the account that new identities with that unionid
// join: claiming it is an INSERT that ignores a duplicate followed by a
// locking SELECT, so that concurrent first logins with one unionid (and
// different openids) agree on one account, as concurrent first logins with
// one openid agree through the identity's primary key.

const identityColumns = `platform, app_id, openid, unionid, user_id, created_at`

const (
	qIdentity = `SELECT ` + identityColumns + ` FROM identities WHERE platform = ? AND app_id = ? AND openid = ?`
	// Oldest first, ties broken so that every engine answers one order.
	qUserIdentities = `SELECT ` + identityColumns + ` FROM identities WHERE user_id = ?
		ORDER BY created_at, platform, app_id, openid`
	// qUserWithIdentities is loadUser's: the account's columns, then its
	// identities' in qUserIdentities' order.
	qUserWithIdentities = `SELECT u.id, u.nickname, u.avatar_url, u.phone, u.disabled, u.created_at, u.updated_at,
		i.platform, i.app_id, i.openid, i.unionid, i.created_at
		FROM users u LEFT JOIN identities i ON i.user_id = u.id WHERE u.id = ?
		ORDER BY i.created_at, i.platform, i.app_id, i.openid`
	qFillUnionID = `UPDATE identities SET unionid = ? WHERE platform = ? AND app_id = ? AND openid = ? AND unionid = ''`
	// An identity already holding the unionid (one filled in after the
	// claim was released elsewhere) names the account to claim it for.
	qUnionHolder    = `SELECT user_id FROM identities WHERE platform = ? AND unionid = ? AND unionid <> '' ORDER BY created_at LIMIT 1`
	qUnionOwner     = `SELECT user_id FROM identity_unions WHERE platform = ? AND unionid = ?`
	qRepointUnion   = `UPDATE identity_unions SET user_id = ? WHERE platform = ? AND unionid = ? AND user_id = ?`
	qDeleteIdentity = `DELETE FROM identities WHERE platform = ? AND app_id = ? AND openid = ? AND user_id = ?`
	// The claim goes when its account keeps no identity with the unionid.
	qReleaseUnion = `DELETE FROM identity_unions WHERE platform = ? AND unionid = ? AND user_id = ?
		AND NOT EXISTS (SELECT 1 FROM identities WHERE platform = ? AND unionid = ? AND unionid <> '' AND user_id = ?)`
	qLockUser = `SELECT id FROM users WHERE id = ?`
)

func (s *Store) qInsertIdentity() string {
	return `INSERT INTO identities (` + identityColumns + `) VALUES (?, ?, ?, ?, ?, ?) ` + s.d.InsertIgnore
}

func (s *Store) qClaimUnion() string {
	return `INSERT INTO identity_unions (platform, unionid, user_id) VALUES (?, ?, ?) ` + s.d.InsertIgnore
}

// identityStatements are prepared up front: the write pool's, then the
// read pool's.
func (s *Store) identityStatements() (writes, reads []string) {
	writes = []string{qIdentity + s.d.ForUpdate, qUserIdentities, qFillUnionID, qUnionHolder,
		qUnionOwner + s.d.ForUpdate, qRepointUnion, qDeleteIdentity, qReleaseUnion, qLockUser + s.d.ForUpdate,
		s.qInsertIdentity(), s.qClaimUnion(), qInsertUser}
	reads = []string{qIdentity}
	return writes, reads
}

type storedIdentity struct {
	miniauth.Identity
	UserID string
}

func scanIdentity(row scanner) (*storedIdentity, error) {
	var x storedIdentity
	err := row.Scan(&x.Platform, &x.AppID, &x.OpenID, &x.UnionID, &x.UserID, msTime{&x.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// FindOrCreateByIdentity: see miniauth.UserStore. A returning identity is
// two reads on the read pool; only a new identity (or a unionid to fill
// in) writes.
func (s *Store) FindOrCreateByIdentity(ctx context.Context, id miniauth.Identity, newUser *miniauth.User) (*miniauth.User, bool, error) {
	u, created, _, err := s.findOrCreate(ctx, id, newUser, nil)
	return u, created, err
}

// findOrCreate is FindOrCreateByIdentity. When it creates the account and
// session is not nil, the same transaction stores session, of that account
// (stored).
//
// Where writes are batched (SQLite), a login goes straight to the writer,
// which also stores a returning user's session unless the user is
// disabled, and reads the account: the writer's page cache outlives its
// own commits, while every commit empties the readers', so reads before
// the write cost a first login about a tenth of its CPU in index pages
// read again, and a returning one two reads and a second wait for the
// writer.
func (s *Store) findOrCreate(ctx context.Context, id miniauth.Identity, newUser *miniauth.User, session *miniauth.Session) (u *miniauth.User, created, stored bool, err error) {
	if id.Platform == "" || id.AppID == "" || id.OpenID == "" || newUser.ID == "" {
		return nil, false, false, miniauth.Errorf(miniauth.EInvalidRequest, "an identity needs a platform, an app id and an openid; a new user an id")
	}
	writerFirst := session != nil && s.batch != nil
	if !writerFirst {
		got, err := scanIdentity(s.queryRow(ctx, qIdentity, id.Platform, id.AppID, id.OpenID))
		switch {
		case err == nil && (id.UnionID == "" || got.UnionID != ""):
			u, err := loadUser(s.reads(ctx), got.UserID, &got.Identity)
			return u, false, false, s.wrap("find user", err)
		case err != nil && !isNoRows(err):
			return nil, false, false, s.wrap("find identity", err)
		}
	}
	var owner *storedIdentity
	err = s.inTx(ctx, "find or create user", func(tx *Tx) error {
		var err error
		owner, created, u, stored = nil, false, nil, false
		if writerFirst && id.UnionID != "" {
			// A returning identity that holds its unionid claims nothing.
			owner, err = tx.identityWithUnion(id)
		}
		if owner == nil && err == nil {
			owner, created, err = tx.findOrCreateByIdentity(id, newUser)
		}
		if err != nil || session == nil || !(created || writerFirst) {
			return err
		}
		session.UserID = owner.UserID
		if stored, err = tx.insertSession(session, !created); err != nil || created {
			return err
		}
		// One writer: what the transaction reads is current.
		u, err = loadUser(tx, owner.UserID, &owner.Identity)
		return err
	})
	if err != nil {
		return nil, false, false, err
	}
	if created {
		return createdUser(newUser, owner.Identity), true, stored, nil
	}
	if u != nil {
		return u, false, stored, nil
	}
	// Read after the commit: MySQL's plain reads inside the transaction
	// would see its snapshot, older than the account another login made
	// while this one waited for the claim.
	u, err = loadUser(s.reads(ctx), owner.UserID, &owner.Identity)
	return u, false, stored, s.wrap("find user", err)
}

// identityWithUnion is the stored identity id when it holds a unionid,
// else nil.
func (tx *Tx) identityWithUnion(id miniauth.Identity) (*storedIdentity, error) {
	got, err := scanIdentity(tx.queryRow(qIdentity+tx.s.d.ForUpdate, id.Platform, id.AppID, id.OpenID))
	switch {
	case isNoRows(err):
		return nil, nil
	case err != nil || got.UnionID == "":
		return nil, err
	}
	return got, nil
}

// findOrCreateByIdentity stores the identity if it is new, and returns it
// as stored, its account created when created.
func (tx *Tx) findOrCreateByIdentity(id miniauth.Identity, newUser *miniauth.User) (*storedIdentity, bool, error) {
	s := tx.s
	owner := newUser.ID
	if id.UnionID != "" {
		var err error
		if owner, err = tx.claimUnion(id.Platform, id.UnionID, newUser.ID); err != nil {
			return nil, false, err
		}
	}
	res, err := tx.exec(s.qInsertIdentity(), id.Platform, id.AppID, id.OpenID, id.UnionID, owner, s.t(newUser.CreatedAt))
	if err != nil {
		return nil, false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, false, err
	}
	if n == 0 {
		got, err := tx.existingIdentity(id, newUser.ID)
		return got, false, err
	}
	created := owner == newUser.ID
	if created {
		_, err := tx.exec(qInsertUser, newUser.ID, newUser.Nickname, newUser.AvatarURL, newUser.Phone,
			newUser.Disabled, s.t(newUser.CreatedAt), s.t(newUser.UpdatedAt))
		if err != nil {
			return nil, false, err
		}
	}
	return &storedIdentity{Identity: id, UserID: owner}, created, nil
}

// existingIdentity answers a login whose identity another transaction
// stored first, or whose stored identity lacks the unionid: its account,
// the unionid filled in. A claim this transaction made for the account it
// did not create goes to that account.
func (tx *Tx) existingIdentity(id miniauth.Identity, newUserID string) (*storedIdentity, error) {
	got, err := scanIdentity(tx.queryRow(qIdentity+tx.s.d.ForUpdate, id.Platform, id.AppID, id.OpenID))
	if err != nil {
		return nil, err
	}
	if got.UnionID == "" && id.UnionID != "" {
		// A platform reports a unionid once the app is bound to its
		// developer account: keep it from then on.
		if _, err := tx.exec(qFillUnionID, id.UnionID, id.Platform, id.AppID, id.OpenID); err != nil {
			return nil, err
		}
		got.UnionID = id.UnionID
	}
	if id.UnionID != "" {
		if _, err := tx.exec(qRepointUnion, got.UserID, id.Platform, id.UnionID, newUserID); err != nil {
			return nil, err
		}
	}
	return got, nil
}

// claimUnion returns the account that new identities with this unionid
// join, claiming it for candidate (or an account already holding it) when
// none has.
func (tx *Tx) claimUnion(platform, unionID, candidate string) (string, error) {
	var holder string
	switch err := tx.queryRow(qUnionHolder, platform, unionID).Scan(&holder); {
	case err == nil:
		candidate = holder
	case !isNoRows(err):
		return "", err
	}
	if _, err := tx.exec(tx.s.qClaimUnion(), platform, unionID, candidate); err != nil {
		return "", err
	}
	var owner string
	err := tx.queryRow(qUnionOwner+tx.s.d.ForUpdate, platform, unionID).Scan(&owner)
	return owner, err
}

// LinkIdentity: see miniauth.UserStore.
func (s *Store) LinkIdentity(ctx context.Context, userID string, id miniauth.Identity) (*miniauth.User, error) {
	if id.Platform == "" || id.AppID == "" || id.OpenID == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "an identity needs a platform, an app id and an openid")
	}
	var u *miniauth.User
	err := s.inTx(ctx, "link identity", func(tx *Tx) error {
		var err error
		u, err = tx.linkIdentity(userID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

var (
	errTaken      = miniauth.Errorf(miniauth.EConflict, "this identity belongs to another account")
	errAppTaken   = miniauth.Errorf(miniauth.EConflict, "this account already has another identity in that app")
	errLastOne    = miniauth.Errorf(miniauth.EConflict, "this is the account's last identity: it could no longer log in")
	errNoIdentity = miniauth.Errorf(miniauth.ENotFound, "this account has no identity in that app")
)

func (tx *Tx) linkIdentity(userID string, id miniauth.Identity) (*miniauth.User, error) {
	s := tx.s
	mine, err := tx.lockedIdentities(userID)
	if err != nil {
		return nil, err
	}
	for _, x := range mine {
		if x.AppID == id.AppID && (x.Platform != id.Platform || x.OpenID != id.OpenID) {
			return nil, errAppTaken
		}
	}
	res, err := tx.exec(s.qInsertIdentity(), id.Platform, id.AppID, id.OpenID, id.UnionID, userID, s.t(id.CreatedAt))
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		got, err := scanIdentity(tx.queryRow(qIdentity+s.d.ForUpdate, id.Platform, id.AppID, id.OpenID))
		if err != nil {
			return nil, err
		}
		if got.UserID != userID {
			return nil, errTaken
		}
	} else if id.UnionID != "" {
		if _, err := tx.claimUnion(id.Platform, id.UnionID, userID); err != nil {
			return nil, err
		}
	}
	return loadUser(tx, userID, nil)
}

// lockedIdentities locks the account's row, so that links and unlinks of
// one account take turns, and returns its identities (ENotFound: no such
// account).
func (tx *Tx) lockedIdentities(userID string) ([]*storedIdentity, error) {
	var id string
	if err := tx.queryRow(qLockUser+tx.s.d.ForUpdate, userID).Scan(&id); isNoRows(err) {
		return nil, notFound("user")
	} else if err != nil {
		return nil, err
	}
	rows, err := tx.query(qUserIdentities, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*storedIdentity
	for rows.Next() {
		x, err := scanIdentity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// UnlinkIdentity: see miniauth.UserStore.
func (s *Store) UnlinkIdentity(ctx context.Context, userID, appID string) (*miniauth.Identity, error) {
	var gone *miniauth.Identity
	err := s.inTx(ctx, "unlink identity", func(tx *Tx) error {
		mine, err := tx.lockedIdentities(userID)
		if miniauth.ErrorCode(err) == miniauth.ENotFound {
			return errNoIdentity
		}
		if err != nil {
			return err
		}
		for _, x := range mine {
			if x.AppID == appID {
				gone = &x.Identity
			}
		}
		switch {
		case gone == nil:
			return errNoIdentity
		case len(mine) == 1:
			return errLastOne
		}
		if _, err := tx.exec(qDeleteIdentity, gone.Platform, gone.AppID, gone.OpenID, userID); err != nil {
			return err
		}
		if gone.UnionID == "" {
			return nil
		}
		_, err = tx.exec(qReleaseUnion, gone.Platform, gone.UnionID, userID, gone.Platform, gone.UnionID, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return gone, nil
}
