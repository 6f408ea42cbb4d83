package loadtest

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 for user space on every architecture.
const clockTick = 10 * time.Millisecond

// CPUTime is the user + system CPU time process pid has used, from
// /proc/<pid>/stat; false where there is no /proc.
func CPUTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	const utime, stime = 11, 12 // fields 14 and 15 of stat, counted from field 3
	if len(f) <= stime {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[utime], 10, 64)
	s, err2 := strconv.ParseInt(f[stime], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * clockTick, true
}

// RSS is process pid's resident memory in bytes, from /proc/<pid>/status;
// false where there is no /proc.
func RSS(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}

// RSSWindow tracks a process's resident memory over a stretch of the run.
type RSSWindow struct {
	// Bytes; 0 when unknown.
	Start int64 `json:"start_bytes"`
	Peak  int64 `json:"peak_bytes"`
	End   int64 `json:"end_bytes"`
}

func (w *RSSWindow) sample(pid int) {
	if pid == 0 {
		return
	}
	rss, ok := RSS(pid)
	if !ok {
		return
	}
	if w.Start == 0 {
		w.Start = rss
	}
	w.Peak = max(w.Peak, rss)
	w.End = rss
}
