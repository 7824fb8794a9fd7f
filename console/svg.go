package console

import (
	"fmt"
	"strings"
	"time"
)

// The SVGs are built in templates from numbers computed here: no text
// from OMS ever goes into a path, and the template escapes every label.

// sparkline is the points attribute of a delay sparkline, 120x24, from
// from to to, highest delay at the top, and its highest delay in words;
// "" when there are fewer than two samples.
func sparkline(s []sample, from, to time.Time) (points, peak string) {
	if len(s) < 2 {
		return "", ""
	}
	s = thin(s, sparkPoints)
	var top time.Duration
	for _, p := range s {
		top = max(top, p.Delay)
	}
	top = max(top, time.Second)
	span := to.Sub(from).Seconds()
	var b strings.Builder
	for i, p := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		x := 120 * p.At.Sub(from).Seconds() / span
		y := 23 - 22*p.Delay.Seconds()/top.Seconds()
		fmt.Fprintf(&b, "%.0f,%.0f", x, y)
	}
	return b.String(), human(top)
}

// sparkPoints bounds a sparkline's points: 120 pixels wide, one point
// per 2.5 pixels says enough, and keeps a 100-row page light.
const sparkPoints = 48

// thin keeps at most n points: the highest delay of each run of samples,
// so a spike still shows.
func thin(s []sample, n int) []sample {
	if len(s) <= n {
		return s
	}
	out := make([]sample, 0, n)
	per := (len(s) + n - 1) / n
	for i := 0; i < len(s); i += per {
		run := s[i:min(i+per, len(s))]
		top := run[0]
		for _, p := range run[1:] {
			if p.Delay > top.Delay {
				top = p
			}
		}
		out = append(out, top)
	}
	return out
}

// chart is the project page's delay and checkpoint-lag chart.
type chart struct {
	W, H, Left, Top, PlotW, PlotH int
	Delay, Lag                    string // polyline points
	Max, Half                     string // the y axis' top and middle, in words
	HalfY                         int
	From, To                      string
	Lines                         []chartLine
	Samples                       int
}

type chartLine struct {
	Y     float64
	Label string
}

func newChart(s []sample, ths []Threshold, from, to time.Time) chart {
	layout := "01-02 15:04"
	if to.Sub(from) < 12*time.Hour {
		layout = "15:04:05"
	}
	c := chart{W: 860, H: 260, Left: 70, Top: 12, PlotW: 770, PlotH: 210, Samples: len(s),
		From: from.UTC().Format(layout), To: to.UTC().Format(layout) + " UTC"}
	top := time.Minute
	for _, p := range s {
		top = max(top, p.Delay, p.Lag)
	}
	for _, t := range ths {
		top = max(top, t.Delay+t.Delay/10)
	}
	c.Max, c.Half, c.HalfY = human(top), human(top/2), c.Top+c.PlotH/2
	y := func(d time.Duration) float64 {
		return float64(c.Top) + float64(c.PlotH)*(1-d.Seconds()/top.Seconds())
	}
	x := func(t time.Time) float64 {
		return float64(c.Left) + float64(c.PlotW)*t.Sub(from).Seconds()/to.Sub(from).Seconds()
	}
	var d, l strings.Builder
	for _, p := range s {
		fmt.Fprintf(&d, "%.1f,%.1f ", x(p.At), y(p.Delay))
		if p.Lag >= 0 {
			fmt.Fprintf(&l, "%.1f,%.1f ", x(p.At), y(p.Lag))
		}
	}
	c.Delay, c.Lag = strings.TrimSpace(d.String()), strings.TrimSpace(l.String())
	for _, t := range ths {
		c.Lines = append(c.Lines, chartLine{Y: y(t.Delay), Label: t.Condition + " > " + human(t.Delay)})
	}
	return c
}

// stepBar is one step drawn as a bar: its progress, and where its run
// sits between the project's first start and now.
type stepBar struct {
	Name, Status, Phase, Start, Took string
	Progress                         int
	ProgressW, X, W                  float64
	Y                                int
}

// etaWindow is how far back the catch-up estimate looks.
const etaWindow = 15 * time.Minute

// catchUp estimates when the delay reaches zero at the rate it fell over
// the last etaWindow of samples; false while it is not falling (or there
// is no delay to catch up).
func catchUp(s []sample) (time.Duration, bool) {
	if len(s) < 2 {
		return 0, false
	}
	last := s[len(s)-1]
	i := len(s) - 2
	for i > 0 && last.At.Sub(s[i-1].At) <= etaWindow {
		i--
	}
	first := s[i]
	shed, took := first.Delay-last.Delay, last.At.Sub(first.At)
	if last.Delay <= 0 || shed <= 0 || took <= 0 {
		return 0, false
	}
	return time.Duration(float64(last.Delay) * float64(took) / float64(shed)), true
}
