package wxsim

import (
	"testing"
	"time"
)

// Expired entries go as new ones arrive, so memory follows the rate of
// arrivals times the lifetime, not the total ever issued.
func TestStorePrunesExpired(t *testing.T) {
	t.Parallel()
	s := newStore[int](1 << 20)
	const life = int64(5 * time.Minute)
	now := int64(0)
	for i := 0; i < 10000; i++ {
		s.put(newLoginCode(), i, now, now+life)
	}
	if n := s.len(); n != 10000 {
		t.Fatalf("len %d, want 10000", n)
	}
	now += life
	// One put per shard prunes that shard; put enough to touch them all.
	for i := 0; i < 200; i++ {
		s.put(newLoginCode(), i, now, now+life)
	}
	if n := s.len(); n != 200 {
		t.Fatalf("len %d after expiry, want 200", n)
	}
	for i := range s.shards {
		if sh := &s.shards[i]; len(sh.fifo)-sh.head != len(sh.m) {
			t.Fatalf("shard %d: fifo %d, map %d", i, len(sh.fifo)-sh.head, len(sh.m))
		}
	}
}

// The cap evicts the oldest entries even before they expire.
func TestStoreCap(t *testing.T) {
	t.Parallel()
	s := newStore[int](numShards * 10)
	for i := 0; i < 10000; i++ {
		s.put(newLoginCode(), i, 0, int64(time.Hour))
	}
	if n := s.len(); n > numShards*10 {
		t.Fatalf("len %d over the cap %d", n, numShards*10)
	}
	for i := range s.shards {
		if sh := &s.shards[i]; cap(sh.fifo) > 64 {
			t.Fatalf("shard %d: fifo capacity %d keeps growing", i, cap(sh.fifo))
		}
	}
}

// Replacing an entry (a user's new session key) keeps the newest, and the
// old FIFO item does not evict it.
func TestStoreReplace(t *testing.T) {
	t.Parallel()
	s := newStore[string](1 << 20)
	s.put("k", "old", 0, 100)
	s.put("k", "new", 50, 150)
	if e, ok := s.get("k", 60); !ok || e.val != "new" {
		t.Fatalf("get = %v, %v", e, ok)
	}
	s.put("other", "x", 120, 220) // prunes the first item of "k", not the entry
	if e, ok := s.get("k", 120); !ok || e.val != "new" {
		t.Fatalf("after pruning the old item: %v, %v", e, ok)
	}
	if _, ok := s.get("k", 150); ok {
		t.Fatal("entry alive at its expiry")
	}
}

// Codes and session keys do not pile up in a long-running simulator.
func TestSimulatorPrunesCodes(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }})
	for i := 0; i < 5000; i++ {
		code, _, _ := s.LoginCode(DevAppID, "", "")
		if i%2 == 0 {
			exchange(t, s, code)
		}
	}
	now = now.Add(SessionKeyLifetime)
	for i := 0; i < 500; i++ {
		code, _, _ := s.LoginCode(DevAppID, "", "")
		exchange(t, s, code)
	}
	if n := s.loginCodes.len(); n > 500 {
		t.Fatalf("%d login codes held, want at most 500", n)
	}
	if n := s.sessionKeys.len(); n > 500 {
		t.Fatalf("%d session keys held, want at most 500", n)
	}
}

// Options.MaxCodes and MaxSessionKeys bound the simulator's memory even
// when codes arrive faster than they expire.
func TestSimulatorCaps(t *testing.T) {
	t.Parallel()
	s := New(Options{MaxCodes: 160, MaxSessionKeys: 320})
	for i := 0; i < 5000; i++ {
		code, _, _ := s.LoginCode(DevAppID, "", "")
		exchange(t, s, code)
		if _, err := s.PhoneCode(DevAppID, "o1", "13800138000"); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.loginCodes.len(); n > 160 {
		t.Fatalf("%d login codes held, cap 160", n)
	}
	if n := s.phoneCodes.len(); n > 160 {
		t.Fatalf("%d phone codes held, cap 160", n)
	}
	if n := s.sessionKeys.len(); n > 320 {
		t.Fatalf("%d session keys held, cap 320", n)
	}
	// The newest are kept.
	code, openID, _ := s.LoginCode(DevAppID, "", "")
	exchange(t, s, code)
	if _, ok := s.SessionKey(DevAppID, openID); !ok {
		t.Fatal("newest session key dropped")
	}
}
