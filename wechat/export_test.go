package wechat

import "time"

// SetStoreClock replaces the clock by which s expires its locks.
func SetStoreClock(s *MemoryTokenStore, now func() time.Time) { s.now = now }
