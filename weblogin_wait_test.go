package miniauth

import (
	"testing"
)

func woken(w *waiter) bool {
	select {
	case <-w.wake:
		return true
	default:
		return false
	}
}

func TestWaitHubBoundsWaitersAndWakesTheirTicket(t *testing.T) {
	h := newWaitHub(2)
	a, ok := h.watch("t1")
	b, ok2 := h.watch("t2")
	if !ok || !ok2 {
		t.Fatal("two waiters refused under a bound of 2")
	}
	if _, ok := h.watch("t3"); ok {
		t.Fatal("a third waiter accepted under a bound of 2")
	}
	h.notify("t1")
	h.notify("t1") // a second wake-up while one is pending is no block
	if !woken(a) || woken(a) || woken(b) {
		t.Fatal("notify woke the wrong waiters, or not once")
	}
	h.reset()
	if !woken(a) || !woken(b) {
		t.Fatal("reset did not wake every waiter")
	}
	h.forget(a)
	h.forget(a) // twice is harmless
	if h.waiting() != 1 {
		t.Fatalf("%d waiting, want 1", h.waiting())
	}
	if _, ok := h.watch("t3"); !ok {
		t.Fatal("a freed place was not given to a new waiter")
	}
	h.close()
	h.close()
	select {
	case <-h.closing:
	default:
		t.Fatal("close did not end the waits")
	}
	if _, ok := h.watch("t4"); ok {
		t.Fatal("a closed hub accepted a waiter")
	}
}

func TestWebLoginTicketsAndTheirHashes(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		ticket := newWebLoginTicket()
		if len(ticket) != webLoginTicketLength || seen[ticket] {
			t.Fatalf("ticket %q", ticket)
		}
		seen[ticket] = true
		if h, err := webLoginHash(ticket); err != nil || h != HashToken(ticket) {
			t.Fatalf("hash of %q: %v", ticket, err)
		}
	}
	for _, bad := range []string{"", "short", "AAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAA+", "AAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := webLoginHash(bad); ErrorCode(err) != ENotFound {
			t.Errorf("%q: %v, want not_found", bad, err)
		}
	}
}
