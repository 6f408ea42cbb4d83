package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

func openFile(t *testing.T, path string, checkpointEvery time.Duration) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, Options{CheckpointEvery: checkpointEvery})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func addUser(t *testing.T, db *DB, openid string) {
	t.Helper()
	now := time.Now()
	u := &miniauth.User{ID: miniauth.NewID(), CreatedAt: now, UpdatedAt: now}
	id := miniauth.Identity{Platform: "weixin", AppID: "app", OpenID: openid}
	if _, _, err := db.FindOrCreateByIdentity(context.Background(), id, u); err != nil {
		t.Fatal(err)
	}
}

// The watch reports what other processes commit to the file, and neither
// this process's own writes nor its checkpoints, which copy the log into
// the file without changing what it holds.
func TestChangesSeeOtherProcessesWritesOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	here := openFile(t, path, time.Hour)
	other := openFile(t, path, time.Hour)
	c := here.Changes(time.Hour, nil)
	if !c.poll(ctx) {
		t.Fatal("the first look reports no change: what was cached before it cannot be trusted")
	}
	for i := range 50 {
		addUser(t, here, fmt.Sprintf("here-%d", i))
		if c.poll(ctx) {
			t.Fatalf("this process's own write %d was taken for another's", i)
		}
	}
	// The checkpointer's connection copies those writes into the file, and
	// the writes after that start the log over.
	var copied int
	if err := here.ckpt.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(new(int), new(int), &copied); err != nil || copied == 0 {
		t.Fatalf("checkpoint: %v, %d frames copied", err, copied)
	}
	if c.poll(ctx) {
		t.Fatal("a checkpoint was taken for another process's write")
	}
	addUser(t, here, "here-after-checkpoint")
	if c.poll(ctx) {
		t.Fatal("this process's write after a checkpoint was taken for another's")
	}
	addUser(t, other, "other")
	if !c.poll(ctx) {
		t.Fatal("another process's write went unseen")
	}
	if c.poll(ctx) {
		t.Fatal("the same write was reported twice")
	}
}

// A look that fails counts as a change, and so does the first look after
// it, whatever it reads: a write may have come meanwhile.
func TestChangesReportAFailedLookAsAChange(t *testing.T) {
	ctx := context.Background()
	db := openFile(t, filepath.Join(t.TempDir(), "w.db"), time.Hour)
	c := db.Changes(time.Hour, nil)
	c.poll(ctx)
	if c.poll(ctx) {
		t.Fatal("a change with no write")
	}
	good := c.w
	c.w, _ = sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "gone.db"))
	c.w.Close()
	if !c.poll(ctx) {
		t.Error("a failed look reported no change")
	}
	c.w = good
	if !c.poll(ctx) {
		t.Error("the look after a failure reported no change")
	}
	if c.poll(ctx) {
		t.Error("a change with no write after recovering")
	}
}

// Subscribed, a node empties its caches at once, then within the interval
// of another process's write.
func TestChangesResetWithinTheInterval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	here := openFile(t, path, time.Hour)
	other := openFile(t, path, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resets := make(chan struct{}, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		here.Changes(20*time.Millisecond, nil).SubscribeSessionChanged(ctx, nil, func() { resets <- struct{}{} })
	}()
	select {
	case <-resets:
	case <-time.After(5 * time.Second):
		t.Fatal("no reset when the subscription began")
	}
	addUser(t, here, "here")
	addUser(t, other, "other")
	select {
	case <-resets:
	case <-time.After(5 * time.Second):
		t.Fatal("another process's write caused no reset")
	}
	cancel()
	<-done
}

// A look that cannot finish within the interval, the writer's connection
// being held, counts as a change: the node must not trust its caches
// longer than the interval because the look was slow.
func TestChangesCountASlowLookAsAChange(t *testing.T) {
	ctx := context.Background()
	db := openFile(t, filepath.Join(t.TempDir(), "w.db"), time.Hour)
	c := db.Changes(50*time.Millisecond, nil)
	c.poll(ctx)
	held, err := db.w.Conn(ctx) // the writer's one connection
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	changed := c.poll(ctx)
	took := time.Since(start)
	held.Close()
	if !changed {
		t.Error("a look that could not get the writer's connection reported no change")
	}
	if took > 500*time.Millisecond {
		t.Errorf("the look waited %v for the connection, past its 50ms interval", took)
	}
	if !c.poll(ctx) || c.poll(ctx) {
		t.Error("after a slow look: want one change, then none")
	}
}
