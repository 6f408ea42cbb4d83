package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// TestFailureCounter runs the miniauth.FailureCounter contract. open returns
// a fresh, empty counter. Times are around the real clock, so that counters
// whose keys also expire by themselves (Redis) keep them for the test; the
// windows are long, and their ends are reached by moving the given clock.
func TestFailureCounter(t *testing.T, open func(t *testing.T) miniauth.FailureCounter) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	const window = 10 * time.Minute

	sameWindow := func(t *testing.T, got miniauth.FailureWindow, count int, ends time.Time) {
		t.Helper()
		if got.Count != count || !ms(got.Ends).Equal(ms(ends)) {
			t.Fatalf("window: %d failures until %v, want %d until %v", got.Count, got.Ends, count, ends)
		}
	}

	t.Run("UnknownKey", func(t *testing.T) {
		t.Parallel()
		f, c := open(t), ctx(t)
		got, err := f.Failures(c, "ip:192.0.2.1", now)
		if err != nil {
			t.Fatal(err)
		}
		if got != (miniauth.FailureWindow{}) {
			t.Fatalf("unknown key: %+v, want the zero window", got)
		}
	})

	t.Run("CountsWithinTheFirstFailuresWindow", func(t *testing.T) {
		t.Parallel()
		f, c := open(t), ctx(t)
		ends := now.Add(window)
		for i := 1; i <= 5; i++ {
			// Later failures neither move the window nor change its length.
			got, err := f.AddFailure(c, "k", now.Add(time.Duration(i-1)*time.Second), time.Duration(i)*window)
			if err != nil {
				t.Fatal(err)
			}
			sameWindow(t, got, i, ends)
		}
		got, err := f.Failures(c, "k", ends.Add(-time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		sameWindow(t, got, 5, ends)
	})

	t.Run("AWindowThatEndedStartsOver", func(t *testing.T) {
		t.Parallel()
		f, c := open(t), ctx(t)
		ends := now.Add(window)
		for range 3 {
			if _, err := f.AddFailure(c, "k", now, window); err != nil {
				t.Fatal(err)
			}
		}
		// The end itself is outside the window.
		got, err := f.Failures(c, "k", ends)
		if err != nil {
			t.Fatal(err)
		}
		sameWindow(t, got, 0, time.Time{})
		got, err = f.AddFailure(c, "k", ends, window)
		if err != nil {
			t.Fatal(err)
		}
		sameWindow(t, got, 1, ends.Add(window))
		got, err = f.Failures(c, "k", ends.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		sameWindow(t, got, 1, ends.Add(window))
	})

	t.Run("KeysAreIndependent", func(t *testing.T) {
		t.Parallel()
		f, c := open(t), ctx(t)
		keys := []string{"ip:192.0.2.1", "ip:2001:db8::/64", "openid:wxapp:o-1", "openid:wxapp:o{1}", "openid:wx:o-1:x", "用户"}
		for i, k := range keys {
			for range i + 1 {
				if _, err := f.AddFailure(c, k, now, window); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i, k := range keys {
			got, err := f.Failures(c, k, now)
			if err != nil {
				t.Fatal(err)
			}
			sameWindow(t, got, i+1, now.Add(window))
		}
	})

	t.Run("ConcurrentFailuresAllCount", func(t *testing.T) {
		t.Parallel()
		f, c := open(t), ctx(t)
		const n = 40
		counts := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := f.AddFailure(c, "k", now, window)
				if err != nil {
					t.Error(err)
				}
				counts[i] = got.Count
			}()
		}
		wg.Wait()
		slices.Sort(counts)
		for i, got := range counts {
			if got != i+1 {
				t.Fatalf("the concurrent failures saw counts %v, want each of 1..%d once", counts, n)
			}
		}
		got, err := f.Failures(c, "k", now)
		if err != nil {
			t.Fatal(err)
		}
		sameWindow(t, got, n, now.Add(window))
	})

	t.Run("ManyKeys", func(t *testing.T) {
		t.Parallel()
		f, c := open(t), ctx(t)
		for i := range 200 {
			if _, err := f.AddFailure(c, fmt.Sprintf("ip:198.51.100.%d", i), now, window); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.Failures(c, "ip:198.51.100.199", now)
		if err != nil {
			t.Fatal(err)
		}
		sameWindow(t, got, 1, now.Add(window))
	})
}
