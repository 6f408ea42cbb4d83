package inmem

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/miniauth/miniauth"
)

// LoginEvents is a miniauth.LoginEventStore in memory: the events in the
// order they were recorded, and the daily aggregates by key.
type LoginEvents struct {
	mu     sync.RWMutex
	events []miniauth.LoginEvent
	daily  map[dailyKey]*miniauth.LoginDailyCount
}

var _ miniauth.LoginEventStore = (*LoginEvents)(nil)

type dailyKey struct{ day, appID, platform, kind, result string }

// NewLoginEvents returns an empty event store.
func NewLoginEvents() *LoginEvents {
	return &LoginEvents{daily: map[dailyKey]*miniauth.LoginDailyCount{}}
}

// RecordLoginEvents stores the events and adds the daily counts, at once.
func (s *LoginEvents) RecordLoginEvents(_ context.Context, events []miniauth.LoginEvent, daily []miniauth.LoginDailyCount) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		e.At = storedTime(e.At)
		e.NewUser = false // as the SQL stores: the aggregates count new users
		s.events = append(s.events, e)
	}
	for _, c := range daily {
		key := dailyKey{c.Day, c.AppID, c.Platform, c.Kind, c.Result}
		if got, ok := s.daily[key]; ok {
			got.Count += c.Count
			got.NewUsers += c.NewUsers
		} else {
			s.daily[key] = &c
		}
	}
	return nil
}

// UserLoginEvents returns the user's events before before, newest first
// (of one millisecond, the later recorded first), at most limit.
func (s *LoginEvents) UserLoginEvents(_ context.Context, userID string, before time.Time, limit int) ([]miniauth.LoginEvent, error) {
	s.mu.RLock()
	var out []miniauth.LoginEvent
	for _, e := range slices.Backward(s.events) {
		if e.UserID == userID && e.At.Before(before) {
			out = append(out, e)
		}
	}
	s.mu.RUnlock()
	slices.SortStableFunc(out, func(a, b miniauth.LoginEvent) int { return b.At.Compare(a.At) })
	return out[:min(limit, len(out))], nil
}

// LoginDailyCounts returns the aggregate rows of the days from fromDay to
// toDay, both included.
func (s *LoginEvents) LoginDailyCounts(_ context.Context, fromDay, toDay string) ([]miniauth.LoginDailyCount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []miniauth.LoginDailyCount
	for key, c := range s.daily {
		if key.day >= fromDay && key.day <= toDay {
			out = append(out, *c)
		}
	}
	return out, nil
}

// PurgeLoginEvents deletes the events before before; the aggregates stay.
func (s *LoginEvents) PurgeLoginEvents(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.events)
	s.events = slices.DeleteFunc(s.events, func(e miniauth.LoginEvent) bool { return e.At.Before(before) })
	return n - len(s.events), nil
}
