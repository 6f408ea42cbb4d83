package redis

import (
	"fmt"
	"strconv"
	"time"

	"github.com/miniauth/miniauth"
)

// A session as a Redis hash: its fields written and read back.

// sessionFields lists the hash fields of s, times in Unix ms.
func sessionFields(s *miniauth.Session) []any {
	return []any{
		fID, s.ID,
		fUserID, s.UserID,
		fAppID, s.AppID,
		fOpenID, s.OpenID,
		fSessionKey, s.SessionKey,
		fAccessHash, s.AccessHash,
		fRefreshHash, s.RefreshHash,
		fUserAgent, s.UserAgent,
		fIP, s.IP,
		fCreated, ms(s.CreatedAt),
		fLastUsed, ms(s.LastUsedAt),
		fAccessExp, ms(s.AccessExpiresAt),
		fRefreshExp, ms(s.RefreshExpiresAt),
		fIssued, ms(s.IssuedAt),
	}
}

// parseSession turns a session hash into a Session; nil when the hash is
// empty (no such session) or a stub without an id.
func parseSession(m map[string]string) (*miniauth.Session, error) {
	if len(m) == 0 || m[fID] == "" {
		return nil, nil
	}
	s := &miniauth.Session{
		ID:          m[fID],
		UserID:      m[fUserID],
		AppID:       m[fAppID],
		OpenID:      m[fOpenID],
		SessionKey:  m[fSessionKey],
		AccessHash:  m[fAccessHash],
		RefreshHash: m[fRefreshHash],
		UserAgent:   m[fUserAgent],
		IP:          m[fIP],
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{
		{fCreated, &s.CreatedAt},
		{fLastUsed, &s.LastUsedAt},
		{fAccessExp, &s.AccessExpiresAt},
		{fRefreshExp, &s.RefreshExpiresAt},
	} {
		v, err := strconv.ParseInt(m[f.name], 10, 64)
		if err != nil {
			return nil, miniauth.WrapError(miniauth.EInternal, "corrupt session record",
				fmt.Errorf("redis: session field %s: %w", f.name, err))
		}
		*f.dst = fromMS(v)
	}
	// Sessions written before the field existed have none: zero, which
	// the service treats as issued before any trust boundary.
	if v, err := strconv.ParseInt(m[fIssued], 10, 64); err == nil {
		s.IssuedAt = fromMS(v)
	}
	return s, nil
}

// parseSessionReply reads the session fields that a script returned as a
// flat list in res[2].
func parseSessionReply(res []any) (*miniauth.Session, error) {
	if len(res) < 3 {
		return nil, nil
	}
	flat, _ := res[2].([]any)
	m := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		m[k] = v
	}
	return parseSession(m)
}
