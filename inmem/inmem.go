// Package inmem keeps miniauth state in this process's memory, for a
// deployment of one node: what the redis package shares between nodes.
// Everything here is bounded, so that a flood of distinct clients cannot
// make the process grow without limit.
package inmem
