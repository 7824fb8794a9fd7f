package differ

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wI2L/jsondiff"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// Observation says where and when a snapshot was seen: the event source
// (oms://<region>, oms+onprem://<host>, file://) and the time the new
// snapshot was observed, which becomes every event's time.
type Observation struct {
	Source string
	Time   time.Time
}

func (o Observation) validate() error {
	var errs []error
	if strings.TrimSpace(o.Source) == "" {
		errs = append(errs, errors.New("the observation has no source"))
	}
	if o.Time.IsZero() {
		errs = append(errs, errors.New("the observation has no time"))
	}
	return errors.Join(errs...)
}

// Result is what changed between two snapshots.
type Result struct {
	// Patch is the RFC 6902 patch from the previous canonical snapshot to
	// the new one, paths into the canonical (keyed) form. It is NOT
	// redacted: it reproduces the new snapshot, credentials included, so
	// keep it out of logs and events.
	Patch []event.Change
	// Events are the catalog events, in the package's stable order, their
	// data.changes redacted.
	Events []event.Event
}

// Diff compares the previous snapshot of a project (nil on first sight) with
// the new one. Equal digests give an empty Result at once. It fails only when
// the snapshots cannot be compared: no new snapshot, a project without an
// Id, two different projects, or an Observation without source or time.
func Diff(prev, cur *oms.Snapshot, obs Observation) (Result, error) {
	if cur == nil {
		return Result{}, errors.New("diff: no new snapshot")
	}
	if err := obs.validate(); err != nil {
		return Result{}, fmt.Errorf("diff: %w", err)
	}
	id := cur.ID()
	if id == "" {
		return Result{}, errors.New("diff: the new snapshot has no project Id")
	}
	if prev != nil && prev.ID() != id {
		return Result{}, fmt.Errorf("diff: the snapshots are of different projects (%q, then %q)", prev.ID(), id)
	}
	if prev != nil && prev.Digest() == cur.Digest() {
		return Result{}, nil
	}
	ops := patchOf(prev, cur)
	b := newBuilder(prev, cur, obs)
	if prev == nil {
		b.discovered(ops)
	} else {
		b.changes(ops)
	}
	res := Result{Patch: make([]event.Change, len(ops)), Events: b.events()}
	for i, o := range ops {
		res.Patch[i] = o.change
	}
	return res, nil
}

// Removed builds oms.project.removed for a project that is gone (discovery no
// longer lists it and DescribeProject says it does not exist, or its status
// became RELEASED or DELETED and polling stops), from the last snapshot seen.
// Its id hashes the last snapshot's digest, so a replica that saw the same
// last state builds the same event.
func Removed(last *oms.Snapshot, obs Observation) (event.Event, error) {
	if last == nil {
		return event.Event{}, errors.New("removed: no last snapshot")
	}
	if err := obs.validate(); err != nil {
		return event.Event{}, fmt.Errorf("removed: %w", err)
	}
	p := last.Project()
	if p.ID == "" {
		return event.Event{}, errors.New("removed: the last snapshot has no project Id")
	}
	return event.Event{
		ID:       event.NewID(obs.Source, p.ID, event.TypeProjectRemoved, "", last.Digest()),
		Source:   obs.Source,
		Type:     event.TypeProjectRemoved,
		Subject:  p.ID,
		Time:     obs.Time,
		Severity: event.DefaultSeverity(event.TypeProjectRemoved),
		Data: event.Data{
			Project: projectOf(p),
			Fields:  map[string]any{"last_status": nullable(p.Status)},
			Changes: []event.Change{},
		},
	}, nil
}

// Sort orders events of many snapshot pairs (several projects, several
// polls) by time, then source and project, and keeps the order Diff gave
// within one pair (it is stable).
func Sort(events []event.Event) {
	slices.SortStableFunc(events, func(a, b event.Event) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Subject, b.Subject))
	})
}

// patchOf runs jsondiff on the parts of the two canonical trees that differ
// (the whole new tree on first sight). Pruning equal members from both sides
// does not change jsondiff's answer: with default options the ops for one
// member depend on that member's values only.
func patchOf(prev, cur *oms.Snapshot) []*op {
	var d jsondiff.Differ
	if prev == nil {
		d.Compare(nil, cur.Tree())
	} else {
		a, b := oms.Delta(prev, cur)
		d.Compare(a, b)
	}
	patch := d.Patch()
	ops := make([]*op, 0, len(patch))
	for _, p := range patch {
		ops = append(ops, newOp(p))
	}
	return ops
}

// projectOf is the data.project view of EVENTS.md.
func projectOf(p oms.Project) event.Project {
	labels := p.LabelNames()
	if labels == nil {
		labels = []string{}
	}
	return event.Project{ID: p.ID, Name: p.Name, Type: p.Type, Status: p.Status,
		Importance: p.Importance, Labels: labels, Owner: p.Owner}
}

// nullable maps "" (a missing value) to JSON null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
