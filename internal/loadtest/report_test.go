package loadtest

import (
	"os"
	"testing"
	"time"
)

// Ratios are taken within a round, then the median over rounds: a round
// where the whole machine slowed down moves both sides alike.
func TestSummarizeTakesMediansOfPerRoundRatios(t *testing.T) {
	var results []Result
	for round, rates := range [][3]float64{{100, 50, 25}, {50, 40, 20}, {200, 100, 60}} {
		for i, name := range []string{ScenarioBare, ScenarioHealthz, ScenarioVerify} {
			results = append(results, Result{Scenario: name, Round: round + 1, PerSecond: rates[i], Requests: 10,
				P50: time.Duration(rates[i]), P99: 2 * time.Duration(rates[i]), CPUMicros: rates[i] / 10})
		}
	}
	sums := Summarize(results)
	if len(sums) != 3 || sums[0].Scenario != ScenarioBare || sums[2].Scenario != ScenarioVerify {
		t.Fatalf("summaries %+v", sums)
	}
	v := sums[2]
	// Per round verify/bare: 0.25, 0.4, 0.3; verify/healthz: 0.5, 0.5, 0.6.
	if v.RatioBare != 0.3 || v.RatioHealthz != 0.5 {
		t.Errorf("ratios %.3f × bare, %.3f × healthz; want 0.3 and 0.5", v.RatioBare, v.RatioHealthz)
	}
	if v.PerSecond != 25 || v.CPUMicros != 2.5 || v.Requests != 30 || v.P99 != 50 {
		t.Errorf("verify %+v", v)
	}
	if sums[0].RatioBare != 1 || sums[0].RatioHealthz != 2 {
		t.Errorf("bare %+v", sums[0])
	}
}

func TestMedianOfEvenCount(t *testing.T) {
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median %v, want 2.5", m)
	}
	if m := median(nil); m != 0 {
		t.Errorf("median of nothing %v, want 0", m)
	}
}

// The /proc readers see this process burn CPU and hold memory.
func TestProcReaders(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	pid := os.Getpid()
	before, ok := CPUTime(pid)
	if !ok {
		t.Fatal("no CPU time for this process")
	}
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
	}
	after, _ := CPUTime(pid)
	if after <= before {
		t.Errorf("CPU time did not grow over 300 ms of spinning: %v then %v", before, after)
	}
	if rss, ok := RSS(pid); !ok || rss < 1<<20 {
		t.Errorf("RSS %d, %v", rss, ok)
	}
	if _, ok := CPUTime(1 << 30); ok {
		t.Error("CPU time of a process that does not exist")
	}
}
