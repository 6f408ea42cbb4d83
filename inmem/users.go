package inmem

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/miniauth/miniauth"
)

// Users is a miniauth.UserStore in memory: accounts, their identities and
// the unionid claims that new identities join, under one lock, so that
// concurrent first logins agree on one account as the SQL stores' keys make
// them agree.
type Users struct {
	mu         sync.RWMutex
	accounts   map[string]*miniauth.User // without identities
	identities map[identityKey]*storedIdentity
	unions     map[unionKey]string // (platform, unionid) -> the account new identities join
}

var _ miniauth.UserStore = (*Users)(nil)

type identityKey struct{ platform, appID, openID string }

type unionKey struct{ platform, unionID string }

type storedIdentity struct {
	miniauth.Identity
	userID string
}

func keyOf(id miniauth.Identity) identityKey { return identityKey{id.Platform, id.AppID, id.OpenID} }

// NewUsers returns an empty user store.
func NewUsers() *Users {
	return &Users{
		accounts:   map[string]*miniauth.User{},
		identities: map[identityKey]*storedIdentity{},
		unions:     map[unionKey]string{},
	}
}

var (
	errNoUser     = miniauth.Errorf(miniauth.ENotFound, "user not found")
	errTaken      = miniauth.Errorf(miniauth.EConflict, "this identity belongs to another account")
	errAppTaken   = miniauth.Errorf(miniauth.EConflict, "this account already has another identity in that app")
	errLastOne    = miniauth.Errorf(miniauth.EConflict, "this is the account's last identity: it could no longer log in")
	errNoIdentity = miniauth.Errorf(miniauth.ENotFound, "this account has no identity in that app")
)

// FindOrCreateByIdentity: see miniauth.UserStore.
func (s *Users) FindOrCreateByIdentity(_ context.Context, id miniauth.Identity, newUser *miniauth.User) (*miniauth.User, bool, error) {
	if id.Platform == "" || id.AppID == "" || id.OpenID == "" || newUser.ID == "" {
		return nil, false, miniauth.Errorf(miniauth.EInvalidRequest, "an identity needs a platform, an app id and an openid; a new user an id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if got, ok := s.identities[keyOf(id)]; ok {
		if got.UnionID == "" && id.UnionID != "" {
			// A platform reports a unionid once the app is bound to its
			// developer account: keep it from then on.
			s.claimUnion(id.Platform, id.UnionID, got.userID)
			got.UnionID = id.UnionID
		}
		return s.userLocked(got.userID, &got.Identity), false, nil
	}
	owner := newUser.ID
	if id.UnionID != "" {
		owner = s.claimUnion(id.Platform, id.UnionID, newUser.ID)
	}
	id.CreatedAt = storedTime(newUser.CreatedAt)
	s.identities[keyOf(id)] = &storedIdentity{Identity: id, userID: owner}
	created := owner == newUser.ID
	if created {
		u := clone(newUser)
		u.AppID, u.OpenID, u.UnionID, u.Identities = "", "", "", nil
		u.CreatedAt, u.UpdatedAt = storedTime(u.CreatedAt), storedTime(u.UpdatedAt)
		s.accounts[u.ID] = u
	}
	return s.userLocked(owner, &id), created, nil
}

// claimUnion returns the account that new identities with this unionid
// join, claiming it for the oldest identity already holding the unionid,
// or else for candidate, when none has.
func (s *Users) claimUnion(platform, unionID, candidate string) string {
	key := unionKey{platform, unionID}
	if owner, ok := s.unions[key]; ok {
		return owner
	}
	var holder *storedIdentity
	for _, x := range s.identities {
		if x.Platform == platform && x.UnionID == unionID && (holder == nil || x.CreatedAt.Before(holder.CreatedAt)) {
			holder = x
		}
	}
	if holder != nil {
		candidate = holder.userID
	}
	s.unions[key] = candidate
	return candidate
}

// LinkIdentity: see miniauth.UserStore.
func (s *Users) LinkIdentity(_ context.Context, userID string, id miniauth.Identity) (*miniauth.User, error) {
	if id.Platform == "" || id.AppID == "" || id.OpenID == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "an identity needs a platform, an app id and an openid")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[userID]; !ok {
		return nil, errNoUser
	}
	for _, x := range s.identitiesOf(userID) {
		if x.AppID == id.AppID && keyOf(x) != keyOf(id) {
			return nil, errAppTaken
		}
	}
	if got, ok := s.identities[keyOf(id)]; ok {
		if got.userID != userID {
			return nil, errTaken
		}
		return s.userLocked(userID, nil), nil
	}
	id.CreatedAt = storedTime(id.CreatedAt)
	s.identities[keyOf(id)] = &storedIdentity{Identity: id, userID: userID}
	if id.UnionID != "" {
		s.claimUnion(id.Platform, id.UnionID, userID)
	}
	return s.userLocked(userID, nil), nil
}

// UnlinkIdentity: see miniauth.UserStore.
func (s *Users) UnlinkIdentity(_ context.Context, userID, appID string) (*miniauth.Identity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mine := s.identitiesOf(userID)
	i := slices.IndexFunc(mine, func(x miniauth.Identity) bool { return x.AppID == appID })
	switch {
	case i < 0:
		return nil, errNoIdentity
	case len(mine) == 1:
		return nil, errLastOne
	}
	gone := mine[i]
	delete(s.identities, keyOf(gone))
	if gone.UnionID == "" {
		return &gone, nil
	}
	// The claim goes when its account keeps no identity with the unionid.
	key := unionKey{gone.Platform, gone.UnionID}
	keeps := slices.ContainsFunc(s.identitiesOf(userID), func(x miniauth.Identity) bool {
		return x.Platform == gone.Platform && x.UnionID == gone.UnionID
	})
	if s.unions[key] == userID && !keeps {
		delete(s.unions, key)
	}
	return &gone, nil
}

// UserByID returns the user or ENotFound.
func (s *Users) UserByID(_ context.Context, id string) (*miniauth.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.accounts[id]; !ok {
		return nil, errNoUser
	}
	return s.userLocked(id, nil), nil
}

// UserDisabled reports whether the user is disabled, or ENotFound.
func (s *Users) UserDisabled(_ context.Context, id string) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.accounts[id]
	if !ok {
		return false, errNoUser
	}
	return a.Disabled, nil
}

// UpdateUser applies the non-nil fields of upd, or answers ENotFound.
func (s *Users) UpdateUser(_ context.Context, id string, upd miniauth.UserUpdate) (*miniauth.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.accounts[id]
	if !ok {
		return nil, errNoUser
	}
	setIf(&u.Nickname, upd.Nickname)
	setIf(&u.AvatarURL, upd.AvatarURL)
	setIf(&u.Phone, upd.Phone)
	setIf(&u.Disabled, upd.Disabled)
	at := upd.UpdatedAt
	if at.IsZero() {
		at = time.Now()
	}
	u.UpdatedAt = storedTime(at)
	return s.userLocked(id, nil), nil
}

// ListUsers returns a page of the users matching f, newest first (ties by
// id, descending, as the SQL stores order them).
func (s *Users) ListUsers(_ context.Context, f miniauth.UserFilter) ([]*miniauth.User, error) {
	s.mu.RLock()
	matching := make([]*miniauth.User, 0, len(s.accounts))
	for id := range s.accounts {
		u := s.userLocked(id, nil)
		if f.AppID == "" || slices.ContainsFunc(u.Identities, func(x miniauth.Identity) bool { return x.AppID == f.AppID }) {
			matching = append(matching, u)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(matching, func(a, b *miniauth.User) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	limit := f.Limit
	if limit <= 0 {
		limit = miniauth.DefaultUserPage
	}
	limit = min(limit, miniauth.MaxUserPage)
	offset := min(max(f.Offset, 0), len(matching))
	return matching[offset:min(offset+limit, len(matching))], nil
}

// Ping always answers: memory does not go away.
func (s *Users) Ping(context.Context) error { return nil }

// identitiesOf returns the account's identities, oldest first, in the SQL
// stores' order; s.mu is held.
func (s *Users) identitiesOf(userID string) []miniauth.Identity {
	var out []miniauth.Identity
	for _, x := range s.identities {
		if x.userID == userID {
			out = append(out, x.Identity)
		}
	}
	slices.SortFunc(out, func(a, b miniauth.Identity) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Platform, b.Platform),
			cmp.Compare(a.AppID, b.AppID), cmp.Compare(a.OpenID, b.OpenID))
	})
	return out
}

// userLocked returns a copy of the account with its identities, view (or
// else the first identity) in view; s.mu is held.
func (s *Users) userLocked(id string, view *miniauth.Identity) *miniauth.User {
	u := clone(s.accounts[id])
	u.Identities = s.identitiesOf(id)
	for _, x := range u.Identities {
		if view == nil || keyOf(x) == keyOf(*view) {
			u.AppID, u.OpenID, u.UnionID = x.AppID, x.OpenID, x.UnionID
			break
		}
	}
	return u
}

func setIf[T any](field *T, value *T) {
	if value != nil {
		*field = *value
	}
}
