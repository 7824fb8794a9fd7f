package console

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// Row is one project of the fleet as the fleet page shows it.
type Row struct {
	Source, ID, Name, Type, Status, Phase, Importance string
	Labels                                            []string
	// Step is the running step (or the last one), StepProgress its percent.
	Step         string
	StepProgress int
	// Delay is the incremental sync delay, known when DelayKnown.
	Delay      time.Duration
	DelayKnown bool
	Checkpoint time.Time
	// Sampled is when OMS sampled the delay (its clock, as the
	// checkpoint's); zero when it did not say.
	Sampled time.Time
	// Observed is when the snapshot was taken, Changed when its state
	// (not its telemetry) last changed as far as the console saw.
	Observed, Changed time.Time
	// Removed marks a project OMS no longer lists (a tombstone).
	Removed bool

	digest string // the state digest, to tell a change from a refresh
	search string // lower-cased name, id, type, labels: the free-text filter
}

// RowOf builds the fleet row of a snapshot observed at observed.
func RowOf(source string, s *oms.Snapshot, observed time.Time) Row {
	p := s.Project()
	r := Row{Source: source, ID: p.ID, Name: p.Name, Type: p.Type, Status: p.Status,
		Importance: p.Importance, Labels: p.LabelNames(), Delay: p.SyncDelay, DelayKnown: p.SyncDelayKnown,
		Checkpoint: p.IncrCheckpoint, Sampled: p.SyncDelaySampledAt, Observed: observed, Changed: observed, digest: s.StateDigest()}
	if r.ID == "" {
		r.ID = s.ID()
	}
	if st := p.RunningStep(); st.Name != "" {
		r.Step, r.StepProgress, r.Phase = st.Name, st.Progress, string(st.Phase)
	}
	return r.detached()
}

// detached copies the row's strings: a snapshot's strings share the whole
// answer they were decoded from, and a row that kept one would keep that
// answer alive as long as the project is watched (at 10,000 projects,
// hundreds of megabytes).
func (r Row) detached() Row {
	for _, s := range []*string{&r.Source, &r.ID, &r.Name, &r.Type, &r.Status, &r.Phase, &r.Importance, &r.Step, &r.digest} {
		*s = strings.Clone(*s)
	}
	labels := make([]string, len(r.Labels))
	for i, l := range r.Labels {
		labels[i] = strings.Clone(l)
	}
	r.Labels = labels
	return r
}

// sample is one point of a project's delay over time.
type sample struct {
	At    time.Time
	Delay time.Duration
	// Lag is how far the checkpoint trails OMS's own sample time (or the
	// observation, when OMS gave none); -1 when there is no checkpoint.
	Lag time.Duration
}

// point is a sample as the fleet keeps it: 12 bytes (unix seconds, which
// fit 32 bits until 2106; whole seconds; lag -1 when there is no
// checkpoint).
type point struct {
	at         uint32
	delay, lag int32
}

func (p point) sample() sample {
	return sample{At: time.Unix(int64(p.at), 0).UTC(), Delay: time.Duration(p.delay) * time.Second, Lag: time.Duration(p.lag) * time.Second}
}

// Bounds of a project's series: at most maxPoints (3,456 bytes, one of
// the allocator's size classes, and a day at one point per 5 minutes;
// never more capacity than that), at most two a minute; when full, the
// older half is thinned to half as many (the higher delay of each pair
// kept), so a day still fits.
const (
	maxPoints = 288
	minGap    = 60 // seconds
	day       = 24 * 3600
)

// addPoint adds p to the series s, in place where s has room: a series
// is kept for every watched project, so it never holds more capacity than
// maxPoints (append's doubling would leave up to 570).
func addPoint(s []point, p point) []point {
	n := len(s)
	if n > 0 && p.at <= s[n-1].at {
		return s
	}
	if n > 1 && s[n-1].at-s[n-2].at < minGap {
		s[n-1] = p // the last one was a close follower: take its place
		return s
	}
	old := 0
	for old < n && s[old].at+day < p.at {
		old++
	}
	if old > 0 {
		s = s[:copy(s, s[old:])]
	}
	if len(s) == maxPoints {
		half, k := len(s)/2, 0
		for j := 0; j+1 < half; j += 2 {
			s[k] = maxDelay(s[j], s[j+1])
			k++
		}
		s = s[:k+copy(s[k:], s[half&^1:])]
	}
	if len(s) == cap(s) {
		grown := make([]point, len(s), min(max(2*cap(s), 4), maxPoints))
		copy(grown, s)
		s = grown
	}
	return append(s, p)
}

// maxDelay merges two neighbours into one at the earlier time (so the
// series keeps its start) with the higher delay (so a spike still shows).
func maxDelay(a, b point) point {
	if b.delay > a.delay {
		a.delay, a.lag = b.delay, b.lag
	}
	return a
}

// Fleet is the console's index of the watched projects, kept current by
// the service from the snapshot store; safe for concurrent use. It keeps
// each project's delay samples as they arrive, for the sparklines and the
// chart, bounded to the last 24 hours.
type Fleet struct {
	mu      sync.RWMutex
	rows    map[string]*Row // by id
	samples map[string][]point
	loaded  bool
}

// NewFleet returns an empty fleet.
func NewFleet() *Fleet {
	return &Fleet{rows: map[string]*Row{}, samples: map[string][]point{}}
}

// Update records the current row of a project: a new state moves Changed,
// a telemetry refresh keeps it and adds a delay sample.
func (f *Fleet) Update(r Row) {
	r.search = strings.ToLower(strings.Join(append([]string{r.Name, r.ID, r.Type, r.Status, r.Phase, r.Step}, r.Labels...), " "))
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.rows[r.ID]; ok && old.digest == r.digest && !old.Changed.IsZero() {
		r.Changed = old.Changed
	}
	f.rows[r.ID] = &r
	if s, ok := sampleOf(r); ok {
		f.samples[r.ID] = addPoint(f.samples[r.ID], pointOf(s))
	}
}

// sampleOf is the delay sample of a row, if it has one (a delay or a
// checkpoint).
func sampleOf(r Row) (sample, bool) {
	if !r.DelayKnown && r.Checkpoint.IsZero() {
		return sample{}, false
	}
	return sample{At: r.Observed, Delay: r.Delay, Lag: lagOf(r)}, true
}

func pointOf(s sample) point {
	p := point{at: uint32(max(s.At.Unix(), 0)), delay: int32(min(s.Delay/time.Second, 1<<31-1)), lag: -1}
	if s.Lag >= 0 {
		p.lag = int32(min(s.Lag/time.Second, 1<<31-1))
	}
	return p
}

// Remove forgets a project (its record was deleted from the store).
func (f *Fleet) Remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.rows, id)
	delete(f.samples, id)
}

// Loaded says the store was read through once: before, an empty fleet
// means "not read yet", not "nothing watched".
func (f *Fleet) Loaded() {
	f.mu.Lock()
	f.loaded = true
	f.mu.Unlock()
}

// Get returns a project's row.
func (f *Fleet) Get(id string) (Row, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	r, ok := f.rows[id]
	if !ok {
		return Row{}, false
	}
	return *r, true
}

// Samples returns a project's delay samples since since, oldest first.
func (f *Fleet) Samples(id string, since time.Time) []sample {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := f.samples[id]
	i, _ := slices.BinarySearchFunc(s, since.Unix(), func(a point, t int64) int { return cmp.Compare(int64(a.at), t) })
	out := make([]sample, len(s)-i)
	for j, p := range s[i:] {
		out[j] = p.sample()
	}
	return out
}

// Query is what the fleet page asks for: filters, order and page.
type Query struct {
	Status, Phase, Label, Importance, Text string
	// Sort is a column (name, id, type, status, phase, step, delay,
	// changed, importance); Desc reverses it.
	Sort string
	Desc bool
	// Page counts from 1; PerPage rows a page.
	Page, PerPage int
}

// Result is one page of the fleet.
type Result struct {
	Rows []Row
	// Total is the fleet's size, Matched how many rows the filters kept.
	Total, Matched int
	// Counts are the fleet's projects by status (all of them, unfiltered).
	Counts []Count
	// Statuses, Phases, Labels and Importances are the values present,
	// for the filters' choices.
	Statuses, Phases, Labels, Importances []string
	Loaded                                bool
}

// Count is how many projects have a status.
type Count struct {
	Status string
	N      int
}

// Find filters, sorts and pages the fleet. It copies only the rows of the
// page, so a fleet of 10,000 costs one pass and a sort of pointers.
func (f *Fleet) Find(q Query) Result {
	text := strings.ToLower(strings.TrimSpace(q.Text))
	f.mu.RLock()
	res := Result{Total: len(f.rows), Loaded: f.loaded}
	counts := map[string]int{}
	phases, labels, imps := map[string]bool{}, map[string]bool{}, map[string]bool{}
	match := make([]*Row, 0, len(f.rows))
	for _, r := range f.rows {
		counts[r.Status]++
		phases[r.Phase], imps[r.Importance] = true, true
		for _, l := range r.Labels {
			labels[l] = true
		}
		if (q.Status == "" || r.Status == q.Status) && (q.Phase == "" || r.Phase == q.Phase) &&
			(q.Importance == "" || r.Importance == q.Importance) &&
			(q.Label == "" || slices.Contains(r.Labels, q.Label)) &&
			(text == "" || strings.Contains(r.search, text)) {
			match = append(match, r)
		}
	}
	sortRows(match, q.Sort, q.Desc)
	res.Matched = len(match)
	per := cmp.Or(q.PerPage, 100)
	from := min(max(q.Page-1, 0)*per, len(match))
	to := min(from+per, len(match))
	res.Rows = make([]Row, 0, to-from)
	for _, r := range match[from:to] {
		res.Rows = append(res.Rows, *r)
	}
	f.mu.RUnlock()
	for st, n := range counts {
		res.Counts = append(res.Counts, Count{st, n})
		res.Statuses = append(res.Statuses, st)
	}
	slices.SortFunc(res.Counts, func(a, b Count) int { return cmp.Or(b.N-a.N, strings.Compare(a.Status, b.Status)) })
	slices.Sort(res.Statuses)
	res.Phases, res.Labels, res.Importances = keys(phases), keys(labels), keys(imps)
	return res
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// sortColumns are the columns the fleet sorts by.
var sortColumns = []string{"name", "id", "type", "status", "phase", "step", "delay", "changed", "importance"}

func sortRows(rows []*Row, col string, desc bool) {
	key := func(a, b *Row) int {
		switch col {
		case "id":
			return strings.Compare(a.ID, b.ID)
		case "type":
			return strings.Compare(a.Type, b.Type)
		case "status":
			return strings.Compare(a.Status, b.Status)
		case "phase":
			return strings.Compare(a.Phase, b.Phase)
		case "step":
			return strings.Compare(a.Step, b.Step)
		case "delay":
			return cmp.Compare(delayKey(a), delayKey(b))
		case "changed":
			return a.Changed.Compare(b.Changed)
		case "importance":
			return cmp.Compare(importanceRank(a.Importance), importanceRank(b.Importance))
		}
		return strings.Compare(a.Name, b.Name)
	}
	slices.SortFunc(rows, func(a, b *Row) int {
		c := key(a, b)
		if desc {
			c = -c
		}
		return cmp.Or(c, strings.Compare(a.ID, b.ID))
	})
}

func delayKey(r *Row) time.Duration {
	if !r.DelayKnown {
		return -1
	}
	return r.Delay
}

func importanceRank(s string) int {
	switch strings.ToUpper(s) {
	case "HIGH":
		return 3
	case "MEDIUM":
		return 2
	case "LOW":
		return 1
	}
	return 0
}

// lagOf is how far the checkpoint trails the time OMS sampled the delay
// (both on OMS's clock), else the observation; -1 without a checkpoint.
func lagOf(r Row) time.Duration {
	if r.Checkpoint.IsZero() {
		return -1
	}
	at := r.Sampled
	if at.IsZero() {
		at = r.Observed
	}
	return max(at.Sub(r.Checkpoint), 0)
}
