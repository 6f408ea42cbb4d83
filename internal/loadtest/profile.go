package loadtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Profiles write a CPU profile of the server over each measured span, taken
// from its debug listener (debug.addr: Go's pprof), so that a figure that
// moved can be explained from the same run.
type Profiles struct {
	DebugURL string // the server's debug listener, http://host:port
	Dir      string // where the profiles go, as <scenario>-<round>.pprof
}

// profileClient has no timeout of its own: each request asks for a profile
// of a given length, and its context ends the wait.
var profileClient = &http.Client{}

// start begins a profile of d (rounded up to whole seconds, pprof's unit)
// and answers a function that waits for it to be written.
func (p *Profiles) start(ctx context.Context, scenario string, round int, d time.Duration) func() error {
	if p == nil || p.DebugURL == "" {
		return func() error { return nil }
	}
	secs := int(math.Ceil(d.Seconds()))
	path := filepath.Join(p.Dir, fmt.Sprintf("%s-%d.pprof", scenario, round))
	done := make(chan error, 1)
	go func() { done <- p.fetch(ctx, secs, path) }()
	return func() error { return <-done }
}

func (p *Profiles) fetch(ctx context.Context, secs int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+30*time.Second)
	defer cancel()
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", p.DebugURL, secs)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	res, err := profileClient.Do(req)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("cpu profile: %s answered %s", url, res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return fmt.Errorf("cpu profile: %w", err)
	}
	return f.Close()
}
