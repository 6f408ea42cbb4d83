package sqlstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/miniauth/miniauth"
)

// groupCommit runs the write transactions of many callers in one database
// transaction (SQLite's). Its single writer connection commits one
// transaction at a time, and each commit writes every page it changed to
// the WAL, one system call per page: a login touches some twenty B-trees,
// and most of their changed pages (the ends of the tables and of the
// time-ordered indexes) are the same for logins that commit together. So
// while one batch commits, the next gathers the transactions that arrive,
// up to max; nobody waits for a batch to fill.
//
// Each caller's work runs in a savepoint of its own: an error (or panic)
// undoes that work alone, as its own transaction's rollback would have.
// Nobody is answered before the commit: a commit that fails fails every
// caller of the batch.
type groupCommit struct {
	s     *Store
	max   int
	queue chan *batchedTx
	quit  chan struct{}
	done  sync.WaitGroup
}

// batchedTx is one caller's transaction, waiting for its batch.
type batchedTx struct {
	ctx    context.Context
	fn     func(tx *Tx) error
	result chan error // buffered: the batch never waits for its caller
}

// errStoreClosed answers writes once the store is closing: like any store
// that is not there, 503.
var errStoreClosed = miniauth.Errorf(miniauth.EUpstreamUnavailable, "the database is closing")

func newGroupCommit(s *Store, max int) *groupCommit {
	g := &groupCommit{s: s, max: max, queue: make(chan *batchedTx, max), quit: make(chan struct{})}
	g.done.Add(1)
	go g.run()
	return g
}

// do runs fn in the next batch and answers once the batch committed, or
// when ctx ends first (fn may then still commit, as a transaction whose
// caller gave up during COMMIT may).
func (g *groupCommit) do(ctx context.Context, fn func(tx *Tx) error) error {
	op := &batchedTx{ctx: ctx, fn: fn, result: make(chan error, 1)}
	select {
	case <-g.quit:
		return errStoreClosed
	default:
	}
	select {
	case g.queue <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.quit:
		return errStoreClosed
	}
	select {
	case err := <-op.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-g.quit:
		// The batch running at close is answered before run returns; a
		// write queued after that never runs.
		g.done.Wait()
		select {
		case err := <-op.result:
			return err
		default:
			return errStoreClosed
		}
	}
}

func (g *groupCommit) close() {
	close(g.quit)
	g.done.Wait()
}

func (g *groupCommit) run() {
	defer g.done.Done()
	batch := make([]*batchedTx, 0, g.max)
	for {
		select {
		case op := <-g.queue:
			batch = append(batch[:0], op)
		case <-g.quit:
			g.failQueued()
			return
		}
	gather:
		for len(batch) < g.max {
			select {
			case op := <-g.queue:
				batch = append(batch, op)
			default:
				break gather
			}
		}
		g.commit(batch)
	}
}

// failQueued answers whoever is still queued once the store closes.
func (g *groupCommit) failQueued() {
	for {
		select {
		case op := <-g.queue:
			op.result <- errStoreClosed
		default:
			return
		}
	}
}

// commit runs a batch in one transaction. Each caller gets its own error,
// or the commit's.
func (g *groupCommit) commit(batch []*batchedTx) {
	errs := make([]error, len(batch))
	err := g.runBatch(batch, errs)
	for i, op := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		op.result <- errs[i]
	}
}

// runBatch answers the error that fails the whole batch; errs gets each
// caller's own.
func (g *groupCommit) runBatch(batch []*batchedTx, errs []error) error {
	// The batch outlives any one caller's deadline, and its statements are
	// not interrupted when a caller gives up: SQLite rolls back the whole
	// transaction of an interrupted write. A caller whose deadline passed
	// before its turn is skipped; one that gives up later is answered at
	// its deadline by do, its work committed or not with the batch.
	tx, err := g.s.w.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // after Commit, a no-op
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := tx.Exec("SAVEPOINT op"); err != nil {
			return err
		}
		errs[i] = op.run(&Tx{s: g.s, tx: tx, ctx: context.WithoutCancel(op.ctx)})
		if errs[i] != nil {
			if _, err := tx.Exec("ROLLBACK TO op"); err != nil {
				return err
			}
		}
		if _, err := tx.Exec("RELEASE op"); err != nil {
			return err
		}
	}
	return tx.Commit()
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
