package sqlstore

import (
	"database/sql"
	"time"
)

// nullMsTime scans a time column that may be NULL (zero time) as msTime does.
type nullMsTime struct{ t *time.Time }

func (m nullMsTime) Scan(src any) error {
	if src == nil {
		*m.t = time.Time{}
		return nil
	}
	return msTime(m).Scan(src)
}

// nullT is the value stored for a time that may be absent: NULL for zero.
func (s *Store) nullT(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	return s.t(v)
}

// collect scans every row with scan, closes rows, and wraps any error.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error), wrap func(error) error) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// wrapper returns s.wrap for one operation.
func (s *Store) wrapper(op string) func(error) error {
	return func(err error) error { return s.wrap(op, err) }
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
