package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/batch"
)

// groupCommit runs the write transactions of many callers in one database
// transaction (SQLite's). Its single writer connection commits one
// transaction at a time, and each commit writes every page it changed to
// the WAL, one system call per page: a login touches some twenty B-trees,
// and most of their changed pages (the ends of the tables and of the
// time-ordered indexes) are the same for logins that commit together. So
// while one batch commits, the next gathers the transactions that arrive,
// up to max; nobody waits for a batch to fill, unless a write delay is set
// (see batch.Start).
//
// An error (or panic) in one caller's work undoes that work alone, as its
// own transaction's rollback would have (runBatch: the batch then runs
// again with a savepoint per caller).
// Nobody is answered before the commit: a commit that fails fails every
// caller of the batch.
type groupCommit struct {
	s       *Store
	g       *batch.Gatherer[*batchedTx]
	batched func(writes int) // may be nil
}

// batchedTx is one caller's transaction, waiting for its batch.
type batchedTx struct {
	ctx    context.Context
	fn     func(tx *Tx) error
	result chan error // buffered: the batch never waits for its caller
}

// The savepoint of each caller's work, prepared once: a statement
// prepared anew costs a login about as much as one that inserts a row.
const (
	qSavepoint           = "SAVEPOINT op"
	qRollbackToSavepoint = "ROLLBACK TO op"
	qReleaseSavepoint    = "RELEASE op"
)

var savepointStatements = []string{qSavepoint, qRollbackToSavepoint, qReleaseSavepoint}

// errStoreClosed answers writes once the store is closing: like any store
// that is not there, 503.
var errStoreClosed = miniauth.Errorf(miniauth.EUpstreamUnavailable, "the database is closing")

func newGroupCommit(s *Store, max int, delay time.Duration, batched func(int)) *groupCommit {
	g := &groupCommit{s: s, batched: batched}
	g.g = batch.Start(max, delay, g.commit, func(op *batchedTx) { op.result <- errStoreClosed })
	return g
}

// do runs fn in the next batch and answers once the batch committed, or
// when ctx ends first (fn may then still commit, as a transaction whose
// caller gave up during COMMIT may).
func (g *groupCommit) do(ctx context.Context, fn func(tx *Tx) error) error {
	op := &batchedTx{ctx: ctx, fn: fn, result: make(chan error, 1)}
	if err := g.g.Add(ctx, op); errors.Is(err, batch.ErrClosed) {
		return errStoreClosed
	} else if err != nil {
		return err
	}
	select {
	case err := <-op.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-g.g.Closing():
		// The batch running at close is answered before the gatherer
		// stops, and a write still queued then gets errStoreClosed; one
		// that slipped into the queue as it stopped never runs.
		g.g.Wait()
		select {
		case err := <-op.result:
			return err
		default:
			return errStoreClosed
		}
	}
}

func (g *groupCommit) close() { g.g.Close() }

// commit runs a batch in one transaction. Each caller gets its own error,
// or the commit's.
func (g *groupCommit) commit(ops []*batchedTx) {
	errs := make([]error, len(ops))
	err := g.runBatch(ops, errs)
	if g.batched != nil {
		g.batched(len(ops))
	}
	for i, op := range ops {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		op.result <- errs[i]
	}
}

// runBatch answers the error that fails the whole batch; errs gets each
// caller's own.
//
// It first runs every caller's work straight in the transaction, as if
// none will fail: a savepoint per caller cost a first login about 5 % of
// its CPU (three statements, and a copy of every page the work changes
// into SQLite's sub-journal), and failures are rare. When one fails, the
// transaction is rolled back and the batch runs again with a savepoint per
// caller, so that the failure undoes its own work alone. A caller's work
// may run twice then; inTx already requires that it can (a write
// transaction may be retried), so it has no effect outside the database.
func (g *groupCommit) runBatch(batch []*batchedTx, errs []error) error {
	failed, err := g.tryBatch(batch, errs, false)
	if err != nil || !failed || len(batch) == 1 {
		// A lone caller's failure rolled back its own work alone.
		return err
	}
	clear(errs)
	_, err = g.tryBatch(batch, errs, true)
	return err
}

// tryBatch runs the batch in one transaction and commits it, each caller's
// work in a savepoint of its own when savepoints is set. Without, it stops
// at the first caller that fails, rolls back and reports failed.
func (g *groupCommit) tryBatch(batch []*batchedTx, errs []error, savepoints bool) (failed bool, err error) {
	// The batch outlives any one caller's deadline, and its statements are
	// not interrupted when a caller gives up: SQLite rolls back the whole
	// transaction of an interrupted write. A caller whose deadline passed
	// before its turn is skipped; one that gives up later is answered at
	// its deadline by do, its work committed or not with the batch.
	tx, err := g.s.w.BeginTx(context.Background(), nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() // after Commit, a no-op
	own := &Tx{s: g.s, tx: tx, ctx: context.Background()}
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if savepoints {
			if _, err := own.exec(qSavepoint); err != nil {
				return false, err
			}
		}
		errs[i] = op.run(&Tx{s: g.s, tx: tx, ctx: context.WithoutCancel(op.ctx)})
		if !savepoints {
			if errs[i] != nil {
				return true, nil
			}
			continue
		}
		if errs[i] != nil {
			if _, err := own.exec(qRollbackToSavepoint); err != nil {
				return false, err
			}
		}
		if _, err := own.exec(qReleaseSavepoint); err != nil {
			return false, err
		}
	}
	return false, tx.Commit()
}

// run calls the caller's function, a panic turned into its error (the
// batch's goroutine must outlive any caller's bug).
func (op *batchedTx) run(tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlstore: panic in a write transaction: %v", p)
		}
	}()
	return op.fn(tx)
}
