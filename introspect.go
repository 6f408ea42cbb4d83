package miniauth

import (
	"context"
	"time"
)

// Introspection is what RFC 7662 introspection answers about a token.
// Inactive tokens carry nothing else: the caller learns no reason.
type Introspection struct {
	Active    bool
	Session   *Session
	IssuedAt  time.Time
	ExpiresAt time.Time
	Issuer    string
}

// Introspect tells whether token is a live access token, opaque or signed,
// and whose. Refresh tokens, garbage, expired and revoked tokens are all
// simply inactive. It checks the session as Verify does.
//
// Errors: EUpstreamUnavailable (a store that cannot answer is not "inactive").
func (s *Service) Introspect(ctx context.Context, token string) (*Introspection, error) {
	session, err := s.Verify(ctx, token)
	if ErrorCode(err) == EUnauthorized {
		return &Introspection{}, nil
	}
	if err != nil {
		return nil, err
	}
	in := &Introspection{
		Active:    true,
		Session:   session,
		ExpiresAt: session.AccessExpiresAt,
		Issuer:    s.opts.Issuer,
		// An opaque token says nothing of its birth; its lifetime is fixed.
		IssuedAt: session.AccessExpiresAt.Add(-s.opts.AccessTTL),
	}
	if s.opts.Signer != nil && looksSigned(token) {
		claims, err := s.opts.Signer.ParseAccessToken(token, s.opts.Now())
		if err != nil {
			return &Introspection{}, nil
		}
		in.IssuedAt, in.ExpiresAt = claims.IssuedAt, claims.ExpiresAt
	}
	return in, nil
}
