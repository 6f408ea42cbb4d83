package miniauth

import (
	"context"
	"slices"
	"time"
)

// webLogins is the Service's part of scan to log in.
type webLogins struct {
	opts WebLoginOptions
	hub  *waitHub
}

func newWebLogins(opts WebLoginOptions) *webLogins {
	opts = opts.withDefaults()
	return &webLogins{opts: opts, hub: newWaitHub(opts.MaxWaiters)}
}

// WebLoginStart is a new ticket, to be shown in a code.
type WebLoginStart struct {
	Ticket    string
	AppID     string
	ExpiresAt time.Time
}

// WebLoginPoll is what a poll answers: the status and, for the one poll
// that claimed them, the tokens of the new session.
type WebLoginPoll struct {
	Status string
	Result *LoginResult // nil but for the first poll that sees it confirmed
}

// WebLoginPollRequest is a poll of the web page, with hints about the
// browser for the session it may receive.
type WebLoginPollRequest struct {
	Ticket    string
	Wait      time.Duration // 0: answer at once; at most WebLoginOptions.MaxWait
	UserAgent string
	IP        string
}

// WebLoginMaxWait is the longest a poll waits.
func (s *Service) WebLoginMaxWait() time.Duration { return s.web.opts.MaxWait }

// WebLoginTTL is the life of a ticket.
func (s *Service) WebLoginTTL() time.Duration { return s.web.opts.TTL }

// WebLoginWaiters is how many polls wait now on this node, for the metrics.
func (s *Service) WebLoginWaiters() int { return s.web.hub.waiting() }

// EndWebLoginWaits ends every waiting poll (each answers its status as it
// is) and makes later polls answer at once: call it when the server shuts
// down, so that long polls do not hold it.
func (s *Service) EndWebLoginWaits() { s.web.hub.close() }

// StartWebLogin makes a ticket for the app's code (appID "" is the default
// app, or the one app whose codes can be shown).
//
// Errors: EInvalidRequest (an unknown app, or one without codes),
// ERateLimited (the address has used up its failures), ENotFound (scan to
// log in is off), EUpstreamUnavailable.
func (s *Service) StartWebLogin(ctx context.Context, appID, ip string) (*WebLoginStart, error) {
	if s.web.opts.Store == nil {
		return nil, errWebLoginOff
	}
	if _, err := s.throttle.begin(ctx, ip); err != nil {
		return nil, err
	}
	appID, err := s.webLoginApp(appID)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	ticket := newWebLoginTicket()
	w := &WebLogin{
		Hash:      HashToken(ticket),
		AppID:     appID,
		Status:    WebLoginPending,
		CreatedAt: now,
		ExpiresAt: now.Add(s.web.opts.TTL),
	}
	if err := s.web.opts.Store.CreateWebLogin(ctx, w); err != nil {
		return nil, err
	}
	return &WebLoginStart{Ticket: ticket, AppID: appID, ExpiresAt: w.ExpiresAt}, nil
}

func (s *Service) webLoginApp(appID string) (string, error) {
	apps := s.web.opts.Apps
	if appID == "" && s.opts.DefaultApp == "" && len(apps) == 1 {
		return apps[0], nil
	}
	appID, err := s.resolveApp(appID)
	if err != nil {
		return "", err
	}
	if !slices.Contains(apps, appID) {
		return "", Errorf(EInvalidRequest, "scan to log in needs a WeChat app: this appid has no mini-program codes")
	}
	return appID, nil
}

// WebLoginCode returns the image of the code that carries a live ticket.
//
// Errors: ENotFound (unknown or expired), EConflict (confirmed or denied),
// EUpstreamUnavailable.
func (s *Service) WebLoginCode(ctx context.Context, ticket string) (*CodeImage, error) {
	w, err := s.liveWebLogin(ctx, ticket)
	if err != nil {
		return nil, err
	}
	if s.web.opts.Codes == nil {
		return nil, Errorf(EUpstreamUnavailable, "no code images are configured")
	}
	return s.web.opts.Codes.UnlimitedCode(ctx, w.AppID, ticket, s.web.opts.Page)
}

// liveWebLogin returns the ticket while it is pending or scanned.
func (s *Service) liveWebLogin(ctx context.Context, ticket string) (*WebLogin, error) {
	if s.web.opts.Store == nil {
		return nil, errWebLoginOff
	}
	hash, err := webLoginHash(ticket)
	if err != nil {
		return nil, err
	}
	w, err := s.web.opts.Store.WebLogin(ctx, hash)
	if ErrorCode(err) == ENotFound {
		return nil, errUnknownTicket
	}
	if err != nil {
		return nil, err
	}
	switch w.statusAt(s.opts.Now()) {
	case WebLoginExpired:
		return nil, errUnknownTicket
	case WebLoginConfirmed, WebLoginDenied:
		return nil, errTicketDone
	}
	return w, nil
}

// ScanWebLogin tells the web page that the user of session opened the code.
// Scanning again is fine, by the same user or another.
//
// Errors: ENotFound (unknown or expired), EConflict (confirmed or denied),
// EUpstreamUnavailable.
func (s *Service) ScanWebLogin(ctx context.Context, session *Session, ticket string) error {
	return s.advanceWebLogin(ctx, session, ticket, WebLoginScanned)
}

// ConfirmWebLogin logs the web page in as the user of session.
//
// Errors: as ScanWebLogin's.
func (s *Service) ConfirmWebLogin(ctx context.Context, session *Session, ticket string) error {
	return s.advanceWebLogin(ctx, session, ticket, WebLoginConfirmed)
}

// DenyWebLogin refuses the web page's login.
//
// Errors: as ScanWebLogin's.
func (s *Service) DenyWebLogin(ctx context.Context, session *Session, ticket string) error {
	return s.advanceWebLogin(ctx, session, ticket, WebLoginDenied)
}

func (s *Service) advanceWebLogin(ctx context.Context, session *Session, ticket, to string) error {
	if s.web.opts.Store == nil {
		return errWebLoginOff
	}
	hash, err := webLoginHash(ticket)
	if err != nil {
		return err
	}
	now := s.opts.Now()
	w, changed, err := s.web.opts.Store.AdvanceWebLogin(ctx, hash, []string{WebLoginPending, WebLoginScanned}, WebLoginChange{
		Status: to, UserID: session.UserID, UserAppID: session.AppID, OpenID: session.OpenID, At: now,
	})
	if ErrorCode(err) == ENotFound {
		return errUnknownTicket
	}
	if err != nil {
		return err
	}
	if !changed {
		if w.statusAt(now) == WebLoginExpired {
			return errUnknownTicket
		}
		return errTicketDone
	}
	s.webLoginChanged(ctx, hash)
	return nil
}

// webLoginChanged wakes the polls of the ticket, here and on every node.
func (s *Service) webLoginChanged(ctx context.Context, hash string) {
	s.web.hub.notify(hash)
	if s.web.opts.Events == nil {
		return
	}
	if err := s.web.opts.Events.PublishWebLoginChanged(ctx, hash); err != nil {
		// Waiting polls on other nodes see it at their next safety read.
		s.log.Warn("publishing a web login change", "err", err)
	}
}

// PollWebLogin answers the status of a ticket; with a wait, as soon as it
// differs from the pending or scanned status it had when the poll came, or
// when the wait ends. The first poll that sees the ticket confirmed claims
// the tokens of a new session of the confirming user; later polls answer
// confirmed without tokens.
//
// Errors: ENotFound (unknown ticket), ERateLimited (too many waiting polls,
// or the address has used up its failures), EUserBlocked (the confirming
// user is disabled), EUpstreamUnavailable, ECanceled.
func (s *Service) PollWebLogin(ctx context.Context, req WebLoginPollRequest) (*WebLoginPoll, error) {
	if s.web.opts.Store == nil {
		return nil, errWebLoginOff
	}
	hash, err := webLoginHash(req.Ticket)
	if err != nil {
		return nil, err
	}
	w, err := s.web.opts.Store.WebLogin(ctx, hash)
	if ErrorCode(err) == ENotFound {
		return nil, errUnknownTicket
	}
	if err != nil {
		return nil, err
	}
	if seen := w.statusAt(s.opts.Now()); req.Wait > 0 && waiting(seen) {
		if w, err = s.waitWebLogin(ctx, w, seen, min(req.Wait, s.web.opts.MaxWait)); err != nil {
			return nil, err
		}
	}
	status := w.statusAt(s.opts.Now())
	if status != WebLoginConfirmed || w.Delivered {
		return &WebLoginPoll{Status: status}, nil
	}
	res, err := s.deliverWebLogin(ctx, w, req)
	if err != nil {
		return nil, err
	}
	if res == nil {
		// Another poll claimed the tokens, or the ticket expired meanwhile.
		w, err = s.web.opts.Store.WebLogin(ctx, hash)
		if err != nil {
			return nil, err
		}
		return &WebLoginPoll{Status: w.statusAt(s.opts.Now())}, nil
	}
	return &WebLoginPoll{Status: WebLoginConfirmed, Result: res}, nil
}

// waitWebLogin reads the ticket until its status differs from seen, the
// wait ends or the hub closes, and returns it as last read.
func (s *Service) waitWebLogin(ctx context.Context, w *WebLogin, seen string, wait time.Duration) (*WebLogin, error) {
	hub := s.web.hub
	me, ok := hub.watch(w.Hash)
	if !ok {
		select {
		case <-hub.closing:
			return w, nil
		default:
			return nil, errTooManyWaits
		}
	}
	defer hub.forget(me)
	every := s.web.opts.PollInterval
	if s.web.opts.Events != nil {
		every = max(every, webLoginEventsSafetyPoll)
	}
	poll := time.NewTicker(every)
	defer poll.Stop()
	// Wake at the expiry too, which no event announces.
	end := time.NewTimer(min(wait, max(w.ExpiresAt.Sub(s.opts.Now()), 0)+time.Millisecond))
	defer end.Stop()
	deadline := time.Now().Add(wait)
	for {
		var err error
		// Read after registering: a change from now on wakes us.
		if w, err = s.web.opts.Store.WebLogin(ctx, w.Hash); err != nil {
			return nil, err
		}
		if w.statusAt(s.opts.Now()) != seen {
			return w, nil
		}
		select {
		case <-me.wake:
		case <-poll.C:
		case <-end.C:
			if !time.Now().Before(deadline) {
				return w, nil
			}
			end.Reset(time.Until(deadline))
		case <-hub.closing:
			return w, nil
		case <-ctx.Done():
			return nil, WrapError(ECanceled, "the request was canceled", ctx.Err())
		}
	}
}

// purgeWebLogins deletes tickets kept past their retention.
func (s *Service) purgeWebLogins(ctx context.Context, now time.Time) {
	if s.web.opts.Store == nil {
		return
	}
	n, err := s.web.opts.Store.DeleteExpiredWebLogins(ctx, now.Add(-WebLoginRetention))
	if err != nil {
		s.log.Warn("deleting expired web login tickets", "err", err)
	} else if n > 0 {
		s.log.Info("deleted expired web login tickets", "count", n)
	}
}

// followWebLogins wakes this node's waiting polls on other nodes' changes.
func (s *Service) followWebLogins(ctx context.Context) {
	if s.web.opts.Events != nil {
		go s.web.opts.Events.SubscribeWebLoginChanged(ctx, s.web.hub.notify, s.web.hub.reset)
	}
}
