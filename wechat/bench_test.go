package wechat_test

import (
	"context"
	"testing"

	"github.com/miniauth/miniauth/wechat"
)

// BenchmarkCode2Session logs in through the simulator over loopback HTTP,
// from parallel goroutines, as the load benchmark does.
func BenchmarkCode2Session(b *testing.B) {
	e := newEnv(b, func(o *wechat.Options) { o.Logger = nil })
	codes := make(chan string, b.N)
	for range b.N {
		codes <- e.loginCode(b, "")
	}
	close(codes)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.c.Code2Session(context.Background(), appID, <-codes); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAccessToken is the hot path of the token manager: a valid local
// copy.
func BenchmarkAccessToken(b *testing.B) {
	e := newEnv(b, nil)
	if _, err := e.c.AccessToken(context.Background(), appID); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.c.AccessToken(context.Background(), appID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
