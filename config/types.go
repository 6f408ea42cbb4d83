package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as Go writes it: "2h", "30s", "1m30s".
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 2h, 30s or 1m30s", string(b))
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// ByteSize is a size in bytes: 65536, "64KiB", "1MiB".
type ByteSize int64

var sizeUnits = []struct {
	suffix string
	factor int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"B", 1}}

func (s *ByteSize) UnmarshalText(b []byte) error {
	text := strings.TrimSpace(string(b))
	factor := int64(1)
	number := text
	for _, u := range sizeUnits {
		if strings.HasSuffix(text, u.suffix) {
			factor, number = u.factor, strings.TrimSpace(strings.TrimSuffix(text, u.suffix))
			break
		}
	}
	n, err := strconv.ParseInt(number, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/factor {
		return fmt.Errorf("%q is not a size like 65536, 64KiB or 1MiB", text)
	}
	*s = ByteSize(n * factor)
	return nil
}
