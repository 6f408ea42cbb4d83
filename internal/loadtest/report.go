package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"
	"time"
)

// Summary is one scenario over every round: medians of the rounds'
// figures, and medians of the per-round ratios to the bare route and to
// healthz (0: that yardstick was not run).
type Summary struct {
	Scenario     string        `json:"scenario"`
	PerSecond    float64       `json:"req_per_s"`
	P50          time.Duration `json:"p50_ns"`
	P99          time.Duration `json:"p99_ns"`
	RatioBare    float64       `json:"ratio_to_bare,omitempty"`
	RatioHealthz float64       `json:"ratio_to_healthz,omitempty"`
	CPUMicros    float64       `json:"cpu_us_per_request,omitempty"`
	Requests     int64         `json:"requests"`
	Errors       int64         `json:"errors"`
	FirstError   string        `json:"first_error,omitempty"`
}

// Summarize folds the rounds of each scenario, in round order.
func Summarize(results []Result) []Summary {
	perRound := map[int]map[string]Result{}
	var order []string
	byName := map[string][]Result{}
	for _, r := range results {
		if perRound[r.Round] == nil {
			perRound[r.Round] = map[string]Result{}
		}
		perRound[r.Round][r.Scenario] = r
		if byName[r.Scenario] == nil {
			order = append(order, r.Scenario)
		}
		byName[r.Scenario] = append(byName[r.Scenario], r)
	}
	var out []Summary
	for _, name := range order {
		rs := byName[name]
		s := Summary{Scenario: name}
		var rate, p50, p99, cpu, toBare, toHealthz []float64
		for _, r := range rs {
			rate, p50, p99 = append(rate, r.PerSecond), append(p50, float64(r.P50)), append(p99, float64(r.P99))
			if r.CPUMicros > 0 {
				cpu = append(cpu, r.CPUMicros)
			}
			if b, ok := perRound[r.Round][ScenarioBare]; ok && b.PerSecond > 0 {
				toBare = append(toBare, r.PerSecond/b.PerSecond)
			}
			if h, ok := perRound[r.Round][ScenarioHealthz]; ok && h.PerSecond > 0 {
				toHealthz = append(toHealthz, r.PerSecond/h.PerSecond)
			}
			s.Requests += r.Requests
			s.Errors += r.Errors
			if s.FirstError == "" {
				s.FirstError = r.FirstError
			}
		}
		s.PerSecond, s.CPUMicros = median(rate), median(cpu)
		s.P50, s.P99 = time.Duration(median(p50)), time.Duration(median(p99))
		s.RatioBare, s.RatioHealthz = median(toBare), median(toHealthz)
		out = append(out, s)
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Print writes the run's table, the memory figures and any first errors.
func Print(w io.Writer, rep *Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\treq/s\tp50\tp99\t× bare\t× healthz\tCPU µs/req\terrors\t")
	sums := Summarize(rep.Results)
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%.0f\t%v\t%v\t%s\t%s\t%s\t%d\t\n", s.Scenario, s.PerSecond,
			s.P50.Round(time.Microsecond), s.P99.Round(time.Microsecond),
			figure(s.RatioBare, "%.2f"), figure(s.RatioHealthz, "%.2f"), figure(s.CPUMicros, "%.1f"), s.Errors)
	}
	tw.Flush()
	if rep.Memory.Peak > 0 {
		fmt.Fprintf(w, "\nserver RSS: peak %s over the run\n", megabytes(rep.Memory.Peak))
	}
	if m := rep.Mixed; m != nil {
		fmt.Fprintf(w, "mixed run: %d requests (verify, me, login, refresh) in %v, %.0f req/s, %d errors; server RSS start %s, peak %s, end %s\n",
			m.Requests, m.Elapsed.Round(time.Second/10), m.PerSecond, m.Errors,
			megabytes(m.RSS.Start), megabytes(m.RSS.Peak), megabytes(m.RSS.End))
		if m.FirstError != "" {
			fmt.Fprintf(w, "first error in the mixed run: %s\n", m.FirstError)
		}
	}
	for _, s := range sums {
		if s.FirstError != "" {
			fmt.Fprintf(w, "first error in %s: %s\n", s.Scenario, s.FirstError)
		}
	}
}

func figure(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

func megabytes(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

// WriteJSON writes the run's summaries and every round to path.
func WriteJSON(path string, rep *Report, about map[string]any) error {
	b, err := json.MarshalIndent(struct {
		About     map[string]any `json:"about"`
		Scenarios []Summary      `json:"scenarios"`
		*Report
	}{about, Summarize(rep.Results), rep}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
