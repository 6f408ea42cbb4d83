package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// TestSessionEndingStore runs the SessionEndingStore contract. open returns
// a fresh, empty feed.
func TestSessionEndingStore(t *testing.T, open func(t *testing.T) miniauth.SessionEndingStore) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	until := now.Add(2 * time.Hour)

	// ends are endings of sessions, until the given time.
	ends := func(until time.Time, ids ...string) []miniauth.SessionEnding {
		out := make([]miniauth.SessionEnding, len(ids))
		for i, id := range ids {
			out[i] = miniauth.SessionEnding{SessionID: id, At: now, Until: until}
		}
		return out
	}

	after := func(t *testing.T, e miniauth.SessionEndingStore, seq int64, at time.Time, limit int) []miniauth.SessionEnding {
		t.Helper()
		got, err := e.SessionEndingsAfter(ctx(t), seq, at, limit)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	t.Run("NumberedInOrder", func(t *testing.T) {
		t.Parallel()
		e, c := open(t), ctx(t)
		if got := after(t, e, 0, now, 10); len(got) != 0 {
			t.Fatalf("an empty feed: %+v", got)
		}
		if err := e.RecordSessionEndings(c, ends(until, "s1", "s2")); err != nil {
			t.Fatal(err)
		}
		if err := e.RecordSessionEndings(c, ends(until.Add(time.Hour), "s3")); err != nil {
			t.Fatal(err)
		}
		got := after(t, e, 0, now, 10)
		if len(got) != 3 || got[0].SessionID != "s1" || got[1].SessionID != "s2" || got[2].SessionID != "s3" {
			t.Fatalf("endings: %+v, want s1, s2, s3", got)
		}
		if !(got[0].Seq < got[1].Seq && got[1].Seq < got[2].Seq) {
			t.Errorf("numbers do not grow: %+v", got)
		}
		if !got[0].Until.Equal(until) || !got[2].Until.Equal(until.Add(time.Hour)) {
			t.Errorf("until: %v and %v, want %v and %v", got[0].Until, got[2].Until, until, until.Add(time.Hour))
		}
		if rest := after(t, e, got[0].Seq, now, 10); len(rest) != 2 || rest[0].SessionID != "s2" {
			t.Errorf("after the first: %+v", rest)
		}
		if page := after(t, e, 0, now, 2); len(page) != 2 || page[1].SessionID != "s2" {
			t.Errorf("a page of two: %+v", page)
		}
		// Endings whose tokens have all expired are left out.
		if late := after(t, e, 0, until, 10); len(late) != 1 || late[0].SessionID != "s3" {
			t.Errorf("at the first endings' until: %+v, want s3 alone", late)
		}
	})

	t.Run("EveryTokenOfAUser", func(t *testing.T) {
		t.Parallel()
		e := open(t)
		at := now.Add(-time.Second)
		user := miniauth.SessionEnding{UserID: "u1", At: at, Until: until}
		if err := e.RecordSessionEndings(ctx(t), []miniauth.SessionEnding{user}); err != nil {
			t.Fatal(err)
		}
		got := after(t, e, 0, now, 10)
		if len(got) != 1 || got[0].SessionID != "" || got[0].UserID != "u1" || !got[0].At.Equal(at) || !got[0].Until.Equal(until) {
			t.Fatalf("a user's ending: %+v, want %+v", got, user)
		}
	})

	t.Run("PurgeKeepsTheNewest", func(t *testing.T) {
		t.Parallel()
		e, c := open(t), ctx(t)
		for i := range 3 {
			if err := e.RecordSessionEndings(c, ends(now.Add(-time.Minute), fmt.Sprint("old", i))); err != nil {
				t.Fatal(err)
			}
		}
		n, err := e.PurgeSessionEndings(c, now)
		if err != nil || n != 2 {
			t.Fatalf("purge: %d, %v; want 2 (all expired, but the newest stays)", n, err)
		}
		newest := after(t, e, 0, now.Add(-time.Hour), 10)
		if len(newest) != 1 || newest[0].SessionID != "old2" {
			t.Fatalf("after the purge: %+v, want old2 alone", newest)
		}
		// Numbering goes on after the newest: a reader's cursor stays valid.
		if err := e.RecordSessionEndings(c, ends(until, "next")); err != nil {
			t.Fatal(err)
		}
		if got := after(t, e, newest[0].Seq, now, 10); len(got) != 1 || got[0].SessionID != "next" {
			t.Errorf("after the purged feed's newest: %+v, want next", got)
		}
	})

	// Writers racing each other and a reader following by number, as each
	// node does: the reader misses nothing, which holds only if endings
	// commit in the order of their numbers.
	t.Run("AFollowerMissesNothing", func(t *testing.T) {
		t.Parallel()
		e, c := open(t), ctx(t)
		const writers, each = 8, 15
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if err := e.RecordSessionEndings(c, ends(until, fmt.Sprintf("w%d-%d", w, i))); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		seen := map[string]bool{}
		var cursor int64
		follow := func() {
			for _, x := range after(t, e, cursor, now, 1000) {
				seen[x.SessionID] = true
				cursor = x.Seq
			}
		}
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			follow()
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		follow()
		if len(seen) != writers*each {
			t.Errorf("the follower saw %d endings of %d", len(seen), writers*each)
		}
	})
}
