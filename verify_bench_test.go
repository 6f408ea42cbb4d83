package miniauth

import (
	"context"
	"testing"
)

// What a verify costs in process, without HTTP: an opaque token found in
// the cache, and a sealed token opened and looked up in the feed's copy
// (go test -run X -bench Verify .).

func BenchmarkVerifyOpaqueCached(b *testing.B) {
	f := newFixture(b)
	res := f.login(b, "o1")
	benchmarkVerify(b, f.svc, res.AccessToken)
}

func BenchmarkVerifySealed(b *testing.B) {
	f, _ := sealedFixture(b)
	res := f.login(b, "o1")
	f.svc.endings.read(context.Background())
	benchmarkVerify(b, f.svc, res.AccessToken)
}

func benchmarkVerify(b *testing.B, svc *Service, token string) {
	ctx := context.Background()
	if _, err := svc.Verify(ctx, token); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}
