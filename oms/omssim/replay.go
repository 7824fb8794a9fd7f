package omssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// ReplayMode says how a Replay maps the clock onto a recording.
type ReplayMode int

const (
	// ReplayStep serves each project's n-th observation at tick n (the
	// last one from then on).
	ReplayStep ReplayMode = iota
	// ReplayTime serves, for each project, the latest observation whose time
	// offset from the recording's first observation is at most the elapsed
	// time × Speed. A project does not exist before its first observation.
	ReplayTime
)

// ReplayOptions configure a Replay.
type ReplayOptions struct {
	Mode ReplayMode
	// Speed multiplies elapsed time in ReplayTime mode (default 1; 60 plays
	// an hour-long recording in a minute).
	Speed float64
}

// Replay is a Scenario that serves a recording.
type Replay struct {
	opts     ReplayOptions
	start    time.Time
	order    []string // project ids by first appearance
	projects map[string][]replayEntry
}

// replayEntry is one observation, decoded once when the replay is made.
type replayEntry struct {
	at      time.Time
	offset  time.Duration // from the recording's first observation
	data    []byte        // Data object, PascalCase; nil for a failed answer
	related []byte        // data without TransferMapping
	light   []byte        // lightFields of data
	failure *BusinessError
	info    ProjectInfo
	good    int // index of the latest entry at or before this one with data; -1 none
}

// NewReplay prepares observations for serving. Responses may be in either
// spelling; they are served in whichever spelling a request asks for.
func NewReplay(obs []Observation, o ReplayOptions) (*Replay, error) {
	if len(obs) == 0 {
		return nil, errors.New("replay: the recording has no observations")
	}
	if o.Speed == 0 {
		o.Speed = 1
	}
	if o.Speed < 0 {
		return nil, fmt.Errorf("replay: speed %g must be positive", o.Speed)
	}
	r := &Replay{opts: o, projects: make(map[string][]replayEntry)}
	r.start = obs[0].Time
	for _, ob := range obs {
		r.start = minTime(r.start, ob.Time)
	}
	for i, ob := range obs {
		e, err := decodeEntry(ob)
		if err != nil {
			return nil, fmt.Errorf("replay: observation %d (%s): %w", i+1, ob.Project, err)
		}
		e.offset = ob.Time.Sub(r.start)
		if _, seen := r.projects[ob.Project]; !seen {
			r.order = append(r.order, ob.Project)
		}
		r.projects[ob.Project] = append(r.projects[ob.Project], e)
	}
	for _, id := range r.order {
		es := r.projects[id]
		sort.SliceStable(es, func(a, b int) bool { return es[a].at.Before(es[b].at) })
		good := -1
		for i := range es {
			if es[i].data != nil {
				good = i
			}
			es[i].good = good
		}
	}
	return r, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// decodeEntry turns a recorded response into what the server serves.
func decodeEntry(ob Observation) (replayEntry, error) {
	e := replayEntry{at: ob.Time}
	tree, err := decodeTree(ob.Response)
	if err != nil {
		return e, err
	}
	env, ok := oms.Respell(tree, oms.Cloud).(map[string]any)
	if !ok {
		return e, errors.New("the response is not a JSON object")
	}
	if success, _ := env["Success"].(bool); !success {
		e.failure = recordedFailure(env)
		return e, nil
	}
	data, ok := env["Data"].(map[string]any)
	if !ok {
		return e, errors.New("a successful response without a Data object")
	}
	if e.data, err = marshal(data); err != nil {
		return e, err
	}
	delete(data, "TransferMapping")
	if e.related, err = marshal(data); err != nil {
		return e, err
	}
	if e.light, err = lightData(e.related); err != nil {
		return e, err
	}
	e.info = infoOf(ob.Project, data)
	return e, nil
}

// recordedFailure reads a Success:false envelope (PascalCase).
func recordedFailure(env map[string]any) *BusinessError {
	s := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	be := &BusinessError{Code: s(env, "Code"), Message: s(env, "Message"), Advice: s(env, "Advice")}
	if d, ok := env["ErrorDetail"].(map[string]any); ok {
		be.Detail = ErrorDetail{Code: s(d, "Code"), Level: s(d, "Level"), Message: s(d, "Message"),
			Reason: s(d, "Reason"), Proposal: s(d, "Proposal")}
	}
	return be
}

// infoOf reads the ListProjects fields from a PascalCase Data object.
func infoOf(id string, data map[string]any) ProjectInfo {
	s := func(k string) string { v, _ := data[k].(string); return v }
	p := ProjectInfo{ID: id, Name: s("Name"), Type: s("Type"), Status: s("Status"),
		SourceEndpointType: s("SourceEndpointType"), SinkEndpointType: s("SinkEndpointType"),
		GmtCreate: s("GmtCreate"), GmtModified: s("GmtModified")}
	p.IsSubProject, _ = data["IsSubProject"].(bool)
	if labels, ok := data["Labels"].([]any); ok {
		for _, l := range labels {
			if lm, ok := l.(map[string]any); ok {
				if lid, ok := lm["Id"].(string); ok {
					p.LabelIDs = append(p.LabelIDs, lid)
				}
			}
		}
	}
	if as, ok := data["AlarmStats"].(map[string]any); ok {
		p.Alarming, _ = as["Alarming"].(bool)
	}
	return p
}

// index is which observation of a project m serves; -1 before the first.
func (r *Replay) index(es []replayEntry, m Moment) int {
	if r.opts.Mode == ReplayStep {
		return int(min(m.Tick, int64(len(es)-1)))
	}
	pos := time.Duration(float64(m.Elapsed) * r.opts.Speed)
	return sort.Search(len(es), func(i int) bool { return es[i].offset > pos }) - 1
}

// Projects lists the projects that have a successful observation by m, in
// order of first appearance, as their latest successful observation shows them.
func (r *Replay) Projects(m Moment) []ProjectInfo {
	var out []ProjectInfo
	for _, id := range r.order {
		es := r.projects[id]
		if i := r.index(es, m); i >= 0 && es[i].good >= 0 {
			out = append(out, es[es[i].good].info)
		}
	}
	return out
}

// Describe serves the observation m selects. Full answers exactly as
// recorded (a recorded failure included); Related and Light show the latest
// successful observation, as ListProjects lists it.
func (r *Replay) Describe(m Moment, id string, d Detail) (Described, bool) {
	es, ok := r.projects[id]
	if !ok {
		return Described{}, false
	}
	i := r.index(es, m)
	if i < 0 {
		return Described{}, false
	}
	if d != Full {
		if es[i].good < 0 {
			return Described{}, false
		}
		e := es[es[i].good]
		if d == Light {
			return Described{Data: e.light}, true
		}
		return Described{Data: e.related}, true
	}
	if es[i].failure != nil {
		return Described{Failure: es[i].failure}, true
	}
	return Described{Data: json.RawMessage(es[i].data)}, true
}

// Time is the recording's time at m: start + elapsed × speed when replaying
// by time; by step, the latest observation time served.
func (r *Replay) Time(m Moment) time.Time {
	if r.opts.Mode == ReplayTime {
		return r.start.Add(time.Duration(float64(m.Elapsed) * r.opts.Speed))
	}
	latest := r.start
	for _, id := range r.order {
		es := r.projects[id]
		if at := es[r.index(es, m)].at; at.After(latest) {
			latest = at
		}
	}
	return latest
}

// IDs lists the recorded projects in order of first appearance.
func (r *Replay) IDs() []string { return append([]string(nil), r.order...) }
