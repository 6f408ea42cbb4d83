package seed

import (
	"sort"
	"strings"
	"testing"
)

// Seeded openids look like WeChat's, ascend with the row (so the seed
// appends), are the same for a session as for its user, and spread over
// the whole key space, so that new users' random openids fall among them.
func TestOpenIDsSpreadOverTheKeySpaceInOrder(t *testing.T) {
	const users = 6400
	g := newGenerator(Options{Users: users})
	firsts := map[byte]int{}
	prev := ""
	for i := range users {
		id := g.openID(i)
		if len(id) != 28 || id[0] != 'o' || strings.Trim(id[1:], sortedBase64) != "" {
			t.Fatalf("openid %d = %q, want o and 27 base64url characters", i, id)
		}
		if id <= prev {
			t.Fatalf("openid %d = %q does not sort after %q", i, id, prev)
		}
		if again := g.openID(i); again != id {
			t.Fatalf("openid %d is %q, then %q", i, id, again)
		}
		prev = id
		firsts[id[1]]++
	}
	// 100 a character if even; every character of the alphabet starts some.
	for _, c := range []byte(sortedBase64) {
		if n := firsts[c]; n < 50 || n > 150 {
			t.Errorf("%d openids start with o%c, want about 100", n, c)
		}
	}
	if other := newGenerator(Options{Users: users}); other.openID(7) == g.openID(7) {
		t.Error("two seeds of one database made the same openid")
	}
	// sortedBase64 is in byte order: numbers and strings sort alike.
	if !sort.SliceIsSorted([]byte(sortedBase64), func(a, b int) bool { return sortedBase64[a] < sortedBase64[b] }) {
		t.Error("the alphabet is not in byte order")
	}
}
