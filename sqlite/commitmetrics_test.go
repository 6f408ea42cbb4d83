package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
)

// Every write is counted in the histogram once, in the commit that carried
// it; concurrent writes share commits.
func TestCommitWritesCountsEveryBatchedWrite(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "commits.db"), Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = 40
	now := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := miniauth.Identity{Platform: "weixin", AppID: "app", OpenID: fmt.Sprintf("openid-%d", i)}
			if _, _, err := db.FindOrCreateByIdentity(ctx, id, &miniauth.User{ID: miniauth.NewID(), CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	h := metric(t, reg, "miniauth_sqlite_commit_writes").GetHistogram()
	if h.GetSampleSum() != n || h.GetSampleCount() < 1 || h.GetSampleCount() > n {
		t.Fatalf("%v writes in %d commits, want %d writes in 1 to %d", h.GetSampleSum(), h.GetSampleCount(), n, n)
	}
}
