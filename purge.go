package miniauth

import "context"

// purge deletes expired sessions, and the ledger rows and endings nothing
// can need any more.
func (s *Service) purge(ctx context.Context) {
	now := s.opts.Now()
	n, err := s.sessions.DeleteExpired(ctx, now)
	if err != nil {
		s.log.Warn("deleting expired sessions", "err", err)
	} else if n > 0 {
		s.log.Info("deleted expired sessions", "count", n)
	}
	s.purgeWebLogins(ctx, now)
	s.purgeLoginEvents(ctx, now)
	if s.opts.Endings != nil {
		if n, err := s.opts.Endings.PurgeSessionEndings(ctx, now); err != nil {
			s.log.Warn("purging session endings", "err", err)
		} else if n > 0 {
			s.log.Info("purged session endings", "rows", n)
		}
	}
	if s.ledger == nil {
		return
	}
	n, err = s.ledger.PurgeLedger(ctx, now)
	if err != nil {
		s.log.Warn("purging the session ledger", "err", err)
	} else if n > 0 {
		s.log.Info("purged the session ledger", "rows", n)
	}
}
