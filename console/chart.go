package console

import (
	"strconv"

	"github.com/miniauth/miniauth"
)

// chart is a bar chart drawn as inline SVG on the server: no JavaScript
// library, nothing to load, and it prints.
type chart struct {
	Width, Height int
	Bars          []bar
	Max           int64
	Total         int64
	First, Last   string // the first and last day, under the axis
	MaxY          int    // where the max line is drawn
	Bad           bool   // a chart of failures, drawn in the failure colour
}

type bar struct {
	X, Y, W, H int
	Label      string // "2026-12-01: 42", the bar's tooltip
	Value      int64
}

// Geometry of the charts, in SVG units.
const (
	chartWidth  = 600
	chartHeight = 160
	chartTop    = 14 // room for the max label
	chartGap    = 2
)

// dayValue is one day's bar: the day (YYYY-MM-DD) and its count.
type dayValue struct {
	Day   string
	Count int64
}

// dailyChart charts one figure of each day.
func dailyChart(days []miniauth.DailyStat, figure func(miniauth.DailyStat) int) *chart {
	values := make([]dayValue, len(days))
	for i, d := range days {
		values[i] = dayValue{Day: d.Day, Count: int64(figure(d))}
	}
	return newChart(values)
}

func newChart(days []dayValue) *chart {
	c := &chart{Width: chartWidth, Height: chartHeight, MaxY: chartTop}
	if len(days) == 0 {
		return c
	}
	for _, d := range days {
		c.Max = max(c.Max, d.Count)
		c.Total += d.Count
	}
	slot := chartWidth / len(days)
	plot := chartHeight - chartTop
	for i, d := range days {
		h := 0
		if c.Max > 0 {
			h = int(d.Count * int64(plot) / c.Max)
		}
		if d.Count > 0 {
			h = max(h, 1) // a day with logins is never invisible
		}
		c.Bars = append(c.Bars, bar{X: i*slot + chartGap/2, Y: chartHeight - h, W: slot - chartGap, H: h,
			Label: d.Day + ": " + strconv.FormatInt(d.Count, 10), Value: d.Count})
	}
	c.First = monthDay(days[0].Day)
	c.Last = monthDay(days[len(days)-1].Day)
	return c
}

// monthDay is MM-DD of a YYYY-MM-DD day.
func monthDay(day string) string {
	if len(day) == len("2006-01-02") {
		return day[5:]
	}
	return day
}
