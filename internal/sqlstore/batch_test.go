package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	_ "modernc.org/sqlite"
)

// batchFixture is a group commit over one SQLite file with a table t(k)
// whose k is unique, and a hold on the batch goroutine: the first write
// blocks until release, so that the writes queued meanwhile commit as one
// batch.
type batchFixture struct {
	db *sql.DB
	g  *groupCommit
}

func newBatchFixture(t *testing.T, max int, delay time.Duration) *batchFixture {
	t.Helper()
	db, err := sql.Open("sqlite", t.TempDir()+"/batch.db?_pragma=journal_mode(WAL)&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE t (k TEXT NOT NULL UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	f := &batchFixture{db: db, g: newGroupCommit(&Store{d: &Dialect{}, w: db}, max, delay, nil)}
	t.Cleanup(func() { f.g.close() })
	return f
}

func insert(k string) func(tx *Tx) error {
	return func(tx *Tx) error {
		_, err := tx.tx.ExecContext(tx.ctx, "INSERT INTO t (k) VALUES (?)", k)
		return err
	}
}

// hold queues a write that blocks the batch goroutine until the returned
// release is called, and waits until it runs.
func (f *batchFixture) hold(t *testing.T) (release func()) {
	running, proceed := make(chan struct{}), make(chan struct{})
	var started sync.Once // the batch may run again
	done := make(chan error, 1)
	go func() {
		done <- f.g.do(context.Background(), func(tx *Tx) error {
			started.Do(func() { close(running) })
			<-proceed
			return insert("held")(tx)
		})
	}()
	<-running
	return func() {
		close(proceed)
		if err := <-done; err != nil {
			t.Errorf("held write: %v", err)
		}
	}
}

// queue starts writes and waits until the batch goroutine's queue holds
// them all; their results arrive on the returned channels, in order.
func (f *batchFixture) queue(t *testing.T, ctx context.Context, fns ...func(tx *Tx) error) []chan error {
	t.Helper()
	results := make([]chan error, len(fns))
	for i, fn := range fns {
		results[i] = make(chan error, 1)
		go func() { results[i] <- f.g.do(ctx, fn) }()
		deadline := time.Now().Add(5 * time.Second)
		for f.g.g.Queued() < i+1 {
			if time.Now().After(deadline) {
				t.Fatal("the write never reached the queue")
			}
			time.Sleep(time.Millisecond)
		}
	}
	return results
}

func (f *batchFixture) keys(t *testing.T) map[string]bool {
	t.Helper()
	rows, err := f.db.Query("SELECT k FROM t")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got[k] = true
	}
	return got
}

// In one batch, a write that fails (or panics) is undone alone: the writes
// before and after it commit, and each caller gets its own answer.
func TestGroupCommitUndoesOnlyTheFailedWrite(t *testing.T) {
	f := newBatchFixture(t, 10, 0)
	release := f.hold(t)
	results := f.queue(t, context.Background(),
		insert("a"),
		func(tx *Tx) error { // a write, then an error: the write is undone
			if err := insert("undone")(tx); err != nil {
				return err
			}
			return errors.New("no")
		},
		insert("a"), // a unique violation
		func(tx *Tx) error { panic("bug") },
		insert("b"),
	)
	release()
	var errs []error
	for _, r := range results {
		errs = append(errs, <-r)
	}
	if errs[0] != nil || errs[4] != nil {
		t.Errorf("the good writes failed: %v", errs)
	}
	if errs[1] == nil || errs[1].Error() != "no" || errs[2] == nil || errs[3] == nil {
		t.Errorf("the bad writes' errors: %v", errs)
	}
	want := map[string]bool{"held": true, "a": true, "b": true}
	if got := f.keys(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("committed %v, want %v", got, want)
	}
}

// A batch where nothing fails runs each write once, in one transaction;
// only a failure makes the batch run again (with savepoints).
func TestGroupCommitRunsEachWriteOnceWhenNoneFails(t *testing.T) {
	f := newBatchFixture(t, 10, 0)
	release := f.hold(t)
	runs := map[string]int{}
	txs := map[*sql.Tx]bool{}
	counted := func(k string) func(tx *Tx) error {
		return func(tx *Tx) error {
			runs[k]++ // the batch's goroutine runs one write at a time
			txs[tx.tx] = true
			return insert(k)(tx)
		}
	}
	results := f.queue(t, context.Background(), counted("x"), counted("y"), counted("z"))
	release()
	for _, r := range results {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(runs) != "map[x:1 y:1 z:1]" || len(txs) != 1 {
		t.Errorf("runs %v in %d transactions, want each once in one", runs, len(txs))
	}
}

// A write that fails alone in its batch is undone and answered its error,
// run once: there is nobody else's work to run again.
func TestGroupCommitUndoesALoneFailedWrite(t *testing.T) {
	f := newBatchFixture(t, 10, 0)
	runs := 0
	err := f.g.do(context.Background(), func(tx *Tx) error {
		runs++
		if err := insert("undone")(tx); err != nil {
			return err
		}
		return errors.New("no")
	})
	if err == nil || err.Error() != "no" || runs != 1 {
		t.Errorf("err %v after %d runs, want \"no\" after 1", err, runs)
	}
	if got := f.keys(t); len(got) != 0 {
		t.Errorf("committed %v, want nothing", got)
	}
}

// A write whose caller's deadline passed while it waited is not applied.
func TestGroupCommitSkipsAWriteWhoseCallerGaveUp(t *testing.T) {
	f := newBatchFixture(t, 10, 0)
	release := f.hold(t)
	ctx, cancel := context.WithCancel(context.Background())
	late := f.queue(t, ctx, insert("late"))
	on := f.queue(t, context.Background(), insert("on time"))
	cancel()
	if err := <-late[0]; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that gave up got %v", err)
	}
	release()
	if err := <-on[0]; err != nil {
		t.Fatal(err)
	}
	if got := f.keys(t); got["late"] || !got["on time"] {
		t.Errorf("committed %v", got)
	}
}

// A batch takes at most max writes: with max 2, the third queued write
// commits in a transaction of its own, after the first two.
func TestGroupCommitBatchesAtMostMax(t *testing.T) {
	f := newBatchFixture(t, 2, 0)
	release := f.hold(t)
	var order []string
	txs := map[*sql.Tx]int{}
	record := func(k string) func(tx *Tx) error {
		return func(tx *Tx) error {
			if _, ok := txs[tx.tx]; !ok {
				txs[tx.tx] = len(txs) + 1
			}
			order = append(order, fmt.Sprintf("%s in batch %d", k, txs[tx.tx]))
			return insert(k)(tx)
		}
	}
	// The queue holds max writes: the third waits to enter it.
	results := f.queue(t, context.Background(), record("x"), record("y"))
	third := make(chan error, 1)
	go func() { third <- f.g.do(context.Background(), record("z")) }()
	release()
	for _, r := range append(results, third) {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	want := "[x in batch 1 y in batch 1 z in batch 2]"
	if fmt.Sprint(order) != want {
		t.Errorf("order %v, want %s", order, want)
	}
}

// With a write delay, a batch of more than one write waits for more: two
// writes queued behind a held one, then a third, commit together once the
// third fills the batch.
func TestGroupCommitWaitsTheDelayForMoreWrites(t *testing.T) {
	f := newBatchFixture(t, 3, time.Hour) // any wait for the whole delay fails the test
	release := f.hold(t)
	txs := map[*sql.Tx]bool{}
	record := func(k string) func(tx *Tx) error {
		return func(tx *Tx) error {
			txs[tx.tx] = true
			return insert(k)(tx)
		}
	}
	results := f.queue(t, context.Background(), record("x"), record("y"))
	release()
	for f.g.g.Queued() > 0 { // x and y are gathered and wait
		time.Sleep(time.Millisecond)
	}
	z := make(chan error, 1)
	go func() { z <- f.g.do(context.Background(), record("z")) }()
	for _, r := range append(results, z) {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	if len(txs) != 1 {
		t.Errorf("x, y and z committed in %d transactions, want 1", len(txs))
	}
}

// A closed store's writes fail, as a store that is not there: 503.
func TestGroupCommitClosed(t *testing.T) {
	f := newBatchFixture(t, 10, 0)
	f.g.close()
	if err := f.g.do(context.Background(), insert("after")); !errors.Is(err, errStoreClosed) ||
		miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Errorf("a write after close: %v, want %s", err, miniauth.EUpstreamUnavailable)
	}
	f.g = newGroupCommit(&Store{d: &Dialect{}, w: f.db}, 10, 0, nil) // for the cleanup's close
}
