package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// windows are the chart and timeline windows a project page offers.
var windows = []struct {
	Key string
	D   time.Duration
}{{"auto", 0}, {"1h", time.Hour}, {"6h", 6 * time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}}

// maxTimeline bounds the events a page shows (newest first).
const maxTimeline = 300

// maxSnapshotText bounds the snapshot shown inline.
const maxSnapshotText = 2 << 20

type projectView struct {
	Row    Row
	Known  bool
	ETA    string // when the delay should be caught up ("": not falling)
	Window string
	// Incidents are the project's open incidents.
	Incidents []Incident
	Windows   []string
	Steps     []stepBar
	Chart     chart
	// Logged counts the chart's samples read from the observation log
	// (from before this process's own).
	Logged   int
	Timeline []timelineItem
	// Older counts the events of the window left out (beyond maxTimeline).
	Older       int
	HistoryErr  string
	Snapshot    string
	SnapshotErr string
	SnapshotCut bool
	SnapshotKB  int
}

// timelineItem is one event on the timeline. Decisions (where the event
// went) and Incident are slots for the decision records and incidents
// to fill once they are recorded.
type timelineItem struct {
	Seq                         uint64
	ID, Type, Severity, Summary string
	Time                        time.Time
	Patch                       string
	Decisions                   []string
	Incident                    string
}

func (c *Console) serveProject(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	now := c.o.Now()
	v := projectView{Window: r.URL.Query().Get("window")}
	var win time.Duration
	for _, wd := range windows {
		v.Windows = append(v.Windows, wd.Key)
		if wd.Key == v.Window {
			win = wd.D
		}
	}
	if !slices.Contains(v.Windows, v.Window) {
		v.Window = "auto"
	}
	v.Row, v.Known = c.o.Fleet.Get(id)
	from := now.Add(-win)
	if win == 0 { // auto: the samples there are, at most 24 h; the timeline of 24 h
		from = now.Add(-24 * time.Hour)
	}
	samples := c.samples(r, &v, id, from, now)
	if win == 0 {
		from = autoFrom(samples, now)
		c.timeline(r, id, now.Add(-24*time.Hour), &v)
	} else {
		c.timeline(r, id, from, &v)
	}
	v.Chart = newChart(samples, c.thresholds(v.Row.Importance), from, now)
	if eta, ok := catchUp(c.o.Fleet.Samples(id, now.Add(-etaWindow))); ok && v.Row.DelayKnown && v.Row.Delay >= time.Minute {
		v.ETA = human(eta)
	}
	if !v.Known && len(v.Timeline) == 0 && v.HistoryErr == "" {
		c.fail(w, r, http.StatusNotFound, "No project "+id+" is watched here, and the audit trail holds no event of it.")
		return
	}
	if v.Known && c.o.Snapshots != nil {
		c.snapshot(r, &v, now)
	}
	title := v.Row.Name
	if title == "" {
		title = id
	}
	v.Incidents = c.openIncidents(r.Context(), id)
	c.render(w, r, http.StatusOK, "project", title, v)
}

// maxLogged bounds the samples a chart reads from the observation log.
const maxLogged = 600

// samples are the project's delay samples in [from, now): those the
// fleet keeps in memory, after those the observation log holds from
// before them (the service restarted since; a window longer than the
// memory's day).
func (c *Console) samples(r *http.Request, v *projectView, id string, from, now time.Time) []sample {
	mem := c.o.Fleet.Samples(id, from)
	if c.o.Telemetry == nil || !v.Known {
		return mem
	}
	until := now
	if len(mem) > 0 {
		until = mem[0].At
	}
	if until.Sub(from) < 2*minGap*time.Second {
		return mem // the memory covers the window
	}
	var past []sample
	err := c.o.Telemetry.Snapshots(r.Context(), v.Row.Source, id, from, until, maxLogged, func(at time.Time, s *oms.Snapshot) {
		if p, ok := sampleOf(RowOf(v.Row.Source, s, at)); ok {
			past = append(past, p)
		}
	})
	if err != nil {
		c.log.Warn("read the observation log for the chart", "project", id, "error", err)
		return mem
	}
	v.Logged = len(past)
	return append(past, mem...)
}

func (c *Console) thresholds(importance string) []Threshold {
	var out []Threshold
	for _, t := range c.o.Thresholds {
		if t.Importance == "" || strings.EqualFold(t.Importance, importance) {
			out = append(out, t)
		}
	}
	return out
}

func (c *Console) timeline(r *http.Request, id string, from time.Time, v *projectView) {
	if c.o.History == nil {
		v.HistoryErr = "the audit trail is not available to the console"
		return
	}
	evs, err := c.o.History.Events(r.Context(), id, from)
	if err != nil {
		c.log.Warn("read the audit trail", "project", id, "error", err)
		v.HistoryErr = "the audit trail could not be read: " + err.Error()
		return
	}
	if len(evs) > maxTimeline {
		v.Older = len(evs) - maxTimeline
		evs = evs[len(evs)-maxTimeline:]
	}
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i].Event
		it := timelineItem{Seq: evs[i].Seq, ID: e.ID, Type: e.Type, Severity: string(e.Severity),
			Summary: what(e), Time: e.Time, Decisions: evs[i].Decisions}
		if len(e.Data.Changes) > 0 {
			if b, err := json.MarshalIndent(e.Data.Changes, "", "  "); err == nil {
				it.Patch = string(b)
			}
		}
		v.Timeline = append(v.Timeline, it)
	}
}

func (c *Console) snapshot(r *http.Request, v *projectView, now time.Time) {
	s, err := c.o.Snapshots.Snapshot(r.Context(), v.Row.Source, v.Row.ID)
	if err != nil {
		v.SnapshotErr = err.Error()
		return
	}
	v.Steps = stepBars(s.Project(), now)
	raw := s.JSON()
	v.SnapshotKB = (len(raw) + 1023) / 1024
	if len(raw) > maxSnapshotText {
		raw, v.SnapshotCut = raw[:maxSnapshotText], true
		v.Snapshot = string(raw)
		return
	}
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		v.Snapshot = string(raw)
		return
	}
	v.Snapshot = buf.String()
}

// stepBars lays the steps out on one time axis, from the first start to
// now (or the last finish).
func stepBars(p oms.Project, now time.Time) []stepBar {
	var first, last time.Time
	for _, s := range p.Steps {
		if !s.StartTime.IsZero() && (first.IsZero() || s.StartTime.Before(first)) {
			first = s.StartTime
		}
		last = latest(last, s.FinishTime, s.StartTime)
	}
	if running := p.RunningStep(); running.Status == "RUNNING" || running.Status == "MONITORING" || last.IsZero() {
		last = latest(last, now)
	}
	span := last.Sub(first).Seconds()
	out := make([]stepBar, 0, len(p.Steps))
	for i, s := range p.Steps {
		b := stepBar{Name: s.Name, Status: s.Status, Phase: string(s.Phase), Progress: s.Progress,
			ProgressW: 2 * float64(min(max(s.Progress, 0), 100)), Y: i * 26}
		if !s.StartTime.IsZero() && span > 0 {
			end := s.FinishTime
			if end.IsZero() {
				end = last
			}
			b.Start = s.StartTime.UTC().Format("2006-01-02 15:04:05")
			b.Took = human(end.Sub(s.StartTime))
			b.X = 340 * s.StartTime.Sub(first).Seconds() / span
			b.W = max(340*end.Sub(s.StartTime).Seconds()/span, 2)
		}
		out = append(out, b)
	}
	return out
}

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// autoFrom starts a chart at its first sample (a little before), so that
// a project watched for ten minutes fills the chart rather than its last
// pixel; an hour back when there is nothing to draw.
func autoFrom(s []sample, now time.Time) time.Time {
	if len(s) == 0 {
		return now.Add(-time.Hour)
	}
	span := max(now.Sub(s[0].At), time.Minute)
	return s[0].At.Add(-span / 20)
}
