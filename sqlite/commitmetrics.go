package sqlite

import "github.com/prometheus/client_golang/prometheus"

// commitWrites registers the histogram of how many callers' writes each
// commit carries, and returns what observes one batch; nil without reg.
// It shows an operator what db.write_batch and db.write_delay gather: a
// commit's cost is mostly per batch.
func commitWrites(reg prometheus.Registerer) func(writes int) {
	if reg == nil {
		return nil
	}
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "miniauth_sqlite_commit_writes",
		Help:    "Callers' write transactions that one SQLite commit carried (the group commit: db.write_batch, db.write_delay).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000},
	})
	reg.MustRegister(h)
	return func(writes int) { h.Observe(float64(writes)) }
}
