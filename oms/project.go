package oms

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Project is a typed view of a snapshot for rules (expr-lang) and Go
// templates. It is a fresh value: changing it does not change the snapshot.
// Fields of the wrong type in the response read as their zero value; times
// without a zone are UTC, as OMS documents them.
type Project struct {
	ID, Name, Type, Status, Importance, Owner string
	// Labels are sorted by name, then id.
	Labels []Label
	// Steps are sorted by Order, then name.
	Steps []Step
	// SyncDelay is ExtraInfo.SyncDelay (seconds); SyncDelayKnown is false
	// when OMS sent none.
	SyncDelay      time.Duration
	SyncDelayKnown bool
	// SyncDelaySampledAt is ExtraInfo.SyncDelaySampleTimestamp.
	SyncDelaySampledAt time.Time
	// IncrCheckpoint is how far incremental sync has replicated:
	// ExtraInfo.IncrSyncTimestamp, else the incrTimestampCheckpoint in the
	// StepInfo of INCR_TRANSFER (or another incremental step).
	IncrCheckpoint time.Time
	// Incr is incremental sync over the last polls (its ETA), which the
	// rules engine fills; zero in a view of one snapshot.
	Incr   Incr
	Alarm  AlarmStats
	Worker Worker
	// SourceType and SinkType are SourceEndpointType and SinkEndpointType.
	SourceType, SinkType string
	// Created, Modified, Started and Finished are GmtCreate, GmtModified,
	// GmtStart and GmtFinish.
	Created, Modified, Started, Finished time.Time
	// runningStep is ExtraInfo.RunningStep, the fallback of RunningStep.
	runningStep string
}

// Label is a project label.
type Label struct {
	ID, Name string
}

// Step is one step of a project.
type Step struct {
	// Name is the step name as OMS sent it (trimmed), e.g. PRE-CHECK.
	Name string
	// Key is the step's key in the canonical Steps object (StepKey(Name)).
	Key   string
	Phase Phase
	Order int
	// Status is INIT, RUNNING, FAILED, FINISHED, SUSPEND or MONITORING.
	Status   string
	Progress int
	// Description is OMS's localised label, for display only.
	Description           string
	StartTime, FinishTime time.Time
	// Errors are ExtraInfo.ErrorDetails sorted by code and message, then the
	// old-style ErrorCode/ErrorMsg when no detail has the same code and message.
	Errors []StepError
	// Info is a copy of StepInfo, numbers as int64 when whole and in range,
	// else float64.
	Info map[string]any
}

// StepError is one error of a step.
type StepError struct {
	Code, Level, Message, Reason, Proposal string
}

// AlarmStats is the project's AlarmStats.
type AlarmStats struct {
	Alarming             bool
	RecentlyTriggerCount int
	// Rules is RuleToRecentlyTriggerCount: recent alarm count per rule.
	Rules map[string]int
	// Content is AlarmContent, the most recent alarm's text.
	Content, Target string
	OpenMonitor     bool
}

// Worker is the transfer instance (WorkerGradeInfo) the project runs on.
type Worker struct {
	ID, Name, Grade string
	Expired         bool
	EndTime         time.Time
}

// Project returns a typed view of the snapshot. It is built once per
// snapshot (a change's snapshot is viewed by the differ, the rules, the
// incidents and the console: building it each time was a tenth of the
// poller's allocations), so its slices and maps are shared between callers
// and must not be modified; the Project value itself is the caller's.
func (s *Snapshot) Project() Project {
	if s.view == nil {
		return s.project()
	}
	s.view.once.Do(func() { s.view.p = s.project() })
	return s.view.p
}

// lazyProject is a snapshot's Project, built on first use.
type lazyProject struct {
	once sync.Once
	p    Project
}

func (s *Snapshot) project() Project {
	t := s.tree
	p := Project{
		ID: textOf(t["Id"]), Name: textOf(t["Name"]), Type: textOf(t["Type"]),
		Status: textOf(t["Status"]), Importance: textOf(t["Importance"]), Owner: textOf(t["Owner"]),
		SourceType: textOf(t["SourceEndpointType"]), SinkType: textOf(t["SinkEndpointType"]),
		Created: timeOf(t["GmtCreate"]), Modified: timeOf(t["GmtModified"]),
		Started: timeOf(t["GmtStart"]), Finished: timeOf(t["GmtFinish"]),
		Labels: labelsOf(t["Labels"]), Steps: stepsOf(t["Steps"]),
		Alarm: alarmOf(objectOf(t["AlarmStats"])), Worker: workerOf(t),
	}
	extra := objectOf(t["ExtraInfo"])
	p.SyncDelay, p.SyncDelayKnown = secondsOf(extra["SyncDelay"])
	p.SyncDelaySampledAt = timeOf(extra["SyncDelaySampleTimestamp"])
	p.IncrCheckpoint = timeOf(extra["IncrSyncTimestamp"])
	if p.IncrCheckpoint.IsZero() {
		p.IncrCheckpoint = stepCheckpoint(p.Steps)
	}
	p.runningStep = textOf(extra["RunningStep"])
	// Clipped: a caller's append makes a copy, never writes past the end
	// of the slices the callers share.
	p.Labels, p.Steps = slices.Clip(p.Labels), slices.Clip(p.Steps)
	return p
}

// Step returns the step whose name normalises as name does (see StepKey).
func (p Project) Step(name string) (Step, bool) {
	key := StepKey(name)
	for _, s := range p.Steps {
		if s.Key == key || StepKey(s.Name) == key {
			return s, true
		}
	}
	return Step{}, false
}

// StepsIn returns the steps in phase, in order.
func (p Project) StepsIn(phase Phase) []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Phase == phase {
			out = append(out, s)
		}
	}
	return out
}

// LabelNames returns the label names in Labels order.
func (p Project) LabelNames() []string {
	names := make([]string, 0, len(p.Labels))
	for _, l := range p.Labels {
		names = append(names, l.Name)
	}
	return names
}

// Failed reports whether the project or any of its steps is FAILED.
func (p Project) Failed() bool {
	if strings.EqualFold(p.Status, "FAILED") {
		return true
	}
	return slices.ContainsFunc(p.Steps, func(s Step) bool { return strings.EqualFold(s.Status, "FAILED") })
}

// RunningStep returns the first step (by order) whose status is RUNNING,
// else the step ExtraInfo.RunningStep names, else the zero Step (Name "").
// It returns one value so that rules and templates can call it.
func (p Project) RunningStep() Step {
	for _, s := range p.Steps {
		if strings.EqualFold(s.Status, "RUNNING") {
			return s
		}
	}
	if p.runningStep != "" {
		if s, ok := p.Step(p.runningStep); ok {
			return s
		}
	}
	return Step{}
}

func labelsOf(v any) []Label {
	var out []Label
	for _, e := range elementsOf(v) {
		m := objectOf(e)
		if m == nil {
			continue
		}
		out = append(out, Label{ID: textOf(m["Id"]), Name: textOf(m["Name"])})
	}
	slices.SortFunc(out, func(a, b Label) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func alarmOf(m map[string]any) AlarmStats {
	a := AlarmStats{
		Alarming: boolOf(m["Alarming"]), RecentlyTriggerCount: intOf(m["RecentlyTriggerCount"]),
		Content: textOf(m["AlarmContent"]), Target: textOf(m["Target"]),
		OpenMonitor: boolOf(m["OpenMonitor"]),
	}
	if rules := objectOf(m["RuleToRecentlyTriggerCount"]); len(rules) > 0 {
		a.Rules = make(map[string]int, len(rules))
		for k, v := range rules {
			a.Rules[k] = intOf(v)
		}
	}
	return a
}

func workerOf(t map[string]any) Worker {
	m := objectOf(t["WorkerGradeInfo"])
	w := Worker{ID: textOf(m["Id"]), Name: textOf(m["Name"]), Grade: textOf(m["Grade"]),
		Expired: boolOf(m["Expired"]), EndTime: timeOf(m["EndTime"])}
	if w.ID == "" {
		w.ID = textOf(t["WorkerGradeId"])
	}
	return w
}

// objectOf returns v as an object, nil if it is not one.
func objectOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// elementsOf returns the elements of a keyed object (sorted by key, for a
// stable order) or of an array.
func elementsOf(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case map[string]any:
		out := make([]any, 0, len(t))
		for _, k := range slices.Sorted(maps.Keys(t)) {
			out = append(out, t[k])
		}
		return out
	}
	return nil
}
