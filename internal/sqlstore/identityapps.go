package sqlstore

import (
	"context"
	"strings"
)

// identityApp is one (platform, app) pair that identities belong to.
type identityApp struct{ platform, appID string }

const (
	qFirstIdentityApp  = `SELECT platform, app_id FROM identities ORDER BY platform, app_id LIMIT 1`
	qNextAppOfPlatform = `SELECT app_id FROM identities WHERE platform = ? AND app_id > ? ORDER BY app_id LIMIT 1`
	qNextPlatform      = `SELECT platform, app_id FROM identities WHERE platform > ? ORDER BY platform, app_id LIMIT 1`
)

// identityApps lists the (platform, app) pairs of every identity by
// skipping through the primary key (platform, app_id, openid): at most two
// index seeks per pair, however many identities each has.
func (s *Store) identityApps(ctx context.Context) ([]identityApp, error) {
	var apps []identityApp
	var cur identityApp
	err := s.queryRow(ctx, qFirstIdentityApp).Scan(&cur.platform, &cur.appID)
	for err == nil {
		apps = append(apps, cur)
		var next string
		if err = s.queryRow(ctx, qNextAppOfPlatform, cur.platform, cur.appID).Scan(&next); err == nil {
			cur.appID = next
			continue
		}
		if isNoRows(err) {
			err = s.queryRow(ctx, qNextPlatform, cur.platform).Scan(&cur.platform, &cur.appID)
		}
	}
	if !isNoRows(err) {
		return nil, err
	}
	return apps, nil
}

// exactMatch is the condition on users of a search for text as an id, a
// phone, an openid in any app or a unionid in any platform: a UNION of
// lookups that each follow a key.
func exactMatch(text string, apps []identityApp) (string, []any) {
	parts := []string{`SELECT id FROM users WHERE id = ?`, `SELECT id FROM users WHERE phone = ? AND phone <> ''`}
	args := []any{text, text}
	seen := map[string]bool{}
	for _, a := range apps {
		parts = append(parts, `SELECT user_id FROM identities WHERE platform = ? AND app_id = ? AND openid = ?`)
		args = append(args, a.platform, a.appID, text)
		if !seen[a.platform] {
			seen[a.platform] = true
			parts = append(parts, `SELECT user_id FROM identities WHERE platform = ? AND unionid = ? AND unionid <> ''`)
			args = append(args, a.platform, text)
		}
	}
	return `id IN (` + strings.Join(parts, ` UNION `) + `)`, args
}
