package miniauth

import (
	"context"
	"strings"
	"sync"
	"time"
)

// In-memory fakes for the unit tests of this package only; the real stores
// are tested by storetest against SQLite, PostgreSQL, MySQL and Redis.

type fakeUsers struct {
	mu      sync.Mutex
	users   map[string]*User
	lookups int // calls of UserByID
}

func newFakeUsers() *fakeUsers { return &fakeUsers{users: map[string]*User{}} }

// FindOrCreateByIdentity knows one identity per account, and no unionids
// beyond filling them in: the stores' contract suite covers the rest.
func (f *fakeUsers) FindOrCreateByIdentity(_ context.Context, id Identity, u *User) (*User, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, existing := range f.users {
		if existing.AppID == id.AppID && existing.OpenID == id.OpenID {
			if existing.UnionID == "" && id.UnionID != "" {
				existing.UnionID = id.UnionID
				existing.Identities[0].UnionID = id.UnionID
			}
			c := *existing
			return &c, false, nil
		}
	}
	c := *u
	c.AppID, c.OpenID, c.UnionID = id.AppID, id.OpenID, id.UnionID
	c.Identities = []Identity{id}
	f.users[u.ID] = &c
	out := c
	return &out, true, nil
}

func (f *fakeUsers) LinkIdentity(context.Context, string, Identity) (*User, error) {
	return nil, Errorf(EInternal, "not in the fake")
}

func (f *fakeUsers) UnlinkIdentity(context.Context, string, string) (*Identity, error) {
	return nil, Errorf(EInternal, "not in the fake")
}

func (f *fakeUsers) UserByID(_ context.Context, id string) (*User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	u, ok := f.users[id]
	if !ok {
		return nil, Errorf(ENotFound, "no user")
	}
	c := *u
	return &c, nil
}

func (f *fakeUsers) UserDisabled(ctx context.Context, id string) (bool, error) {
	u, err := f.UserByID(ctx, id)
	if err != nil {
		return false, err
	}
	return u.Disabled, nil
}

func (f *fakeUsers) UpdateUser(_ context.Context, id string, upd UserUpdate) (*User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, Errorf(ENotFound, "no user")
	}
	if upd.Phone != nil {
		u.Phone = *upd.Phone
	}
	if upd.Nickname != nil {
		u.Nickname = *upd.Nickname
	}
	if upd.AvatarURL != nil {
		u.AvatarURL = *upd.AvatarURL
	}
	if upd.Disabled != nil {
		u.Disabled = *upd.Disabled
	}
	u.UpdatedAt = upd.UpdatedAt
	c := *u
	return &c, nil
}

func (f *fakeUsers) ListUsers(context.Context, UserFilter) ([]*User, error) { return nil, nil }
func (f *fakeUsers) Ping(context.Context) error                             { return nil }

type fakeSessions struct {
	mu       sync.Mutex
	sessions map[string]*Session
	used     map[string]string    // rotated refresh hash -> session id
	usedAt   map[string]time.Time // rotated refresh hash -> when
	lookups  int
}

func newFakeSessions() *fakeSessions {
	return &fakeSessions{sessions: map[string]*Session{}, used: map[string]string{}, usedAt: map[string]time.Time{}}
}

func (f *fakeSessions) CreateSession(_ context.Context, s *Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *s
	f.sessions[s.ID] = &c
	return nil
}

func (f *fakeSessions) SessionByAccessHash(_ context.Context, hash string) (*Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	for _, s := range f.sessions {
		if s.AccessHash == hash {
			c := *s
			return &c, nil
		}
	}
	return nil, Errorf(ENotFound, "no session")
}

func (f *fakeSessions) RotateRefresh(_ context.Context, hash string, r Rotation) (*Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.used[hash]; ok {
		if s, ok := f.sessions[id]; ok {
			c := *s
			return &c, &RefreshReuse{RotatedAt: f.usedAt[hash]}
		}
	}
	for _, s := range f.sessions {
		if s.RefreshHash == hash && r.At.Before(s.RefreshExpiresAt) {
			f.used[hash] = s.ID
			f.usedAt[hash] = r.At
			s.AccessHash, s.RefreshHash = r.AccessHash, r.RefreshHash
			s.AccessExpiresAt, s.RefreshExpiresAt, s.LastUsedAt = r.AccessExpiresAt, r.RefreshExpiresAt, r.At
			c := *s
			return &c, nil
		}
	}
	return nil, Errorf(ENotFound, "no session")
}

// copyAll and restore stand for a snapshot and a restart that loads it.
func (f *fakeSessions) copyAll() map[string]Session {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]Session{}
	for id, s := range f.sessions {
		out[id] = *s
	}
	return out
}

func (f *fakeSessions) restore(snap map[string]Session) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = map[string]*Session{}
	for id, s := range snap {
		c := s
		f.sessions[id] = &c
	}
}

func (f *fakeSessions) RevokeSession(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, id)
	return nil
}

func (f *fakeSessions) RevokeUserSessions(_ context.Context, userID string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id, s := range f.sessions {
		if s.UserID == userID {
			ids = append(ids, id)
			delete(f.sessions, id)
		}
	}
	return ids, nil
}

func (f *fakeSessions) UserSessions(context.Context, string, time.Time) ([]*Session, error) {
	return nil, nil
}
func (f *fakeSessions) TouchSessions(_ context.Context, at time.Time, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		if s, ok := f.sessions[id]; ok && s.LastUsedAt.Before(at) {
			s.LastUsedAt = at
		}
	}
	return nil
}
func (f *fakeSessions) DeleteExpired(context.Context, time.Time) (int, error) { return 0, nil }
func (f *fakeSessions) Ping(context.Context) error                            { return nil }

type fakeWeChat struct {
	sessions map[string]*WeChatSession // code -> answer
	err      error
	risky    string   // CheckProfileText fails texts that contain it
	checked  []string // texts given to CheckProfileText
}

func (f *fakeWeChat) CheckProfileText(_ context.Context, _, _, text string) (bool, error) {
	f.checked = append(f.checked, text)
	if f.err != nil {
		return false, f.err
	}
	return f.risky == "" || !strings.Contains(text, f.risky), nil
}

func (f *fakeWeChat) Code2Session(_ context.Context, _, code string) (*WeChatSession, error) {
	if f.err != nil {
		return nil, f.err
	}
	s, ok := f.sessions[code]
	if !ok {
		return nil, Errorf(EInvalidCode, "invalid code")
	}
	delete(f.sessions, code)
	return s, nil
}

func (f *fakeWeChat) PhoneNumber(context.Context, string, string, string) (*PhoneInfo, error) {
	return &PhoneInfo{PurePhoneNumber: "13800138000", CountryCode: "86"}, nil
}

// fakeEndings is the feed of session endings; fail, when set, fails every
// call.
type fakeEndings struct {
	mu    sync.Mutex
	rows  []SessionEnding
	reads int
	fail  error
}

func (f *fakeEndings) RecordSessionEndings(_ context.Context, endings []SessionEnding) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	for _, e := range endings {
		e.Seq = int64(len(f.rows) + 1)
		f.rows = append(f.rows, e)
	}
	return nil
}

func (f *fakeEndings) SessionEndingsAfter(_ context.Context, seq int64, now time.Time, limit int) ([]SessionEnding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.fail != nil {
		return nil, f.fail
	}
	var out []SessionEnding
	for _, e := range f.rows {
		if e.Seq > seq && e.Until.After(now) && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeEndings) PurgeSessionEndings(context.Context, time.Time) (int, error) { return 0, nil }

func (f *fakeEndings) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}
