// Package inmem keeps miniauth state in this process's memory.
//
// FailureCounter is for a deployment of one node: what the redis package
// shares between nodes. It is bounded, so that a flood of distinct clients
// cannot make the process grow without limit.
//
// Users, Sessions, SigningKeys, WebLogins, LoginEvents and Ledger implement
// the store interfaces the Service needs, for tests (the HTTP layer's table
// tests run a real Service over them): they keep everything until it is
// deleted, and nothing survives the process. They pass the same storetest
// suites as the SQL and Redis stores.
package inmem

import "time"

// storedTime is a time as the SQL stores keep it: UTC, to the millisecond.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// clone returns a copy of *p, so that callers never share a stored value.
func clone[T any](p *T) *T {
	c := *p
	return &c
}
