package miniauth

import "context"

// deliverWebLogin claims the ticket's delivery and makes a session of the
// confirming user for the web page, as a login does (throttle, disabled
// users, the ledger). The claim comes first: of concurrent polls, the
// losers answer at once, having spent one store call. When the session
// cannot be made, the claim is released, so that the next poll tries
// again (should the release fail too, the page hears "confirmed" without
// tokens and the user scans again). It returns nil when another poll
// claimed the delivery or the ticket expired.
func (s *Service) deliverWebLogin(ctx context.Context, w *WebLogin, req WebLoginPollRequest) (*LoginResult, error) {
	store := s.web.opts.Store
	_, claimed, err := store.ClaimWebLogin(ctx, w.Hash, s.opts.Now())
	if err != nil || !claimed {
		return nil, err
	}
	res, err := s.webSession(ctx, w, req)
	if err != nil {
		if releaseErr := store.UnclaimWebLogin(context.WithoutCancel(ctx), w.Hash); releaseErr != nil {
			s.log.Warn("releasing a web login claim; its tokens are lost", "err", releaseErr)
		}
		return nil, err
	}
	return res, nil
}

// webSession makes the web page's session of the ticket's user.
func (s *Service) webSession(ctx context.Context, w *WebLogin, req WebLoginPollRequest) (_ *LoginResult, err error) {
	try, err := s.throttle.begin(ctx, req.IP)
	if err != nil {
		return nil, err
	}
	defer func() { try.end(ctx, err) }()
	if err := try.admit(ctx, w.UserAppID, w.OpenID); err != nil {
		return nil, err
	}
	user, err := s.users.UserByID(ctx, w.UserID)
	if ErrorCode(err) == ENotFound {
		return nil, errUnknownTicket
	}
	if err != nil {
		return nil, err
	}
	if user.Disabled {
		return nil, errBlocked
	}
	now := s.opts.Now()
	return s.startSession(ctx, user, device{AppID: w.UserAppID, OpenID: w.OpenID, UserAgent: req.UserAgent, IP: req.IP}, now)
}
