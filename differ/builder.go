package differ

import (
	"slices"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// pending is an event being built: its type, key and fields, and the scopes
// (paths into the snapshot) whose ops it claims. Ops go first to primary
// scopes of all events in order, then to fallback scopes, so that a step's
// second raised error keeps its own op even though the first error event
// also takes the step's other error fields.
type pending struct {
	typ      string
	key      string
	sev      event.Severity // "" for the catalog's default of typ
	fields   map[string]any
	scopes   [][]string
	fallback [][]string
	ops      []*op
}

// builder collects the events of one snapshot pair in their stable order.
type builder struct {
	prev, cur *oms.Snapshot
	obs       Observation
	project   event.Project
	pending   []*pending
}

func newBuilder(prev, cur *oms.Snapshot, obs Observation) *builder {
	return &builder{prev: prev, cur: cur, obs: obs, project: projectOf(cur.Project())}
}

func (b *builder) add(p *pending) *pending {
	b.pending = append(b.pending, p)
	return p
}

// discovered is first sight: one event that carries the root add and
// says what is wrong, its severity from that (EVENTS.md v2). A project
// first seen RELEASED or DELETED gets this event too, and no removal: the
// service adds none for a first sight.
func (b *builder) discovered(ops []*op) {
	proj := b.cur.Project()
	problems := b.problems(proj)
	p := b.add(&pending{typ: event.TypeProjectDiscovered, sev: discoveredSeverity(proj, problems),
		fields: map[string]any{"status": nullable(b.project.Status), "problems": problems}})
	p.ops = ops
}

// changes builds the events of a pair with a previous snapshot from the
// patch ops, in the package's event order, and hands each op to its event.
func (b *builder) changes(ops []*op) {
	live := make([]*op, 0, len(ops))
	for _, o := range ops {
		if !o.isTelemetry() {
			live = append(live, o)
		}
	}
	b.projectStatus()
	b.metadata(live)
	b.steps()
	b.alarm()
	b.worker()
	b.config(live)
	b.assign(live, func(p *pending) [][]string { return p.scopes })
	b.assign(live, func(p *pending) [][]string { return p.fallback })
	b.rest(live)
}

// assign hands every unclaimed op to the first event one of whose scopes
// (as chosen by scopes) it touches.
func (b *builder) assign(ops []*op, scopes func(*pending) [][]string) {
	for _, o := range ops {
		if o.claimed {
			continue
		}
		for _, p := range b.pending {
			if slices.ContainsFunc(scopes(p), func(s []string) bool { return related(o.segs, s) }) {
				p.ops = append(p.ops, o)
				o.claimed = true
				break
			}
		}
	}
}

// rest puts the ops no event claimed into oms.project.changed, except
// those EVENTS.md keeps from it: a step's error fields (they belong to
// error_raised/error_changed/error_cleared only) and alarm counts that did not rise
// (falls while Alarming stays are no event).
func (b *builder) rest(ops []*op) {
	var left []*op
	var paths []string
	for _, o := range ops {
		if o.claimed || under(o.segs, "Steps", "*", "ExtraInfo") ||
			under(o.segs, "AlarmStats", "RecentlyTriggerCount") ||
			under(o.segs, "AlarmStats", "RuleToRecentlyTriggerCount") {
			continue
		}
		left = append(left, o)
		paths = append(paths, o.change.Path)
	}
	if len(left) == 0 {
		return
	}
	slices.Sort(paths)
	p := b.add(&pending{typ: event.TypeProjectChanged,
		fields: map[string]any{"paths": slices.Compact(paths)}})
	p.ops = left
}

// events turns the pending events into catalog events.
func (b *builder) events() []event.Event {
	out := make([]event.Event, 0, len(b.pending))
	for _, p := range b.pending {
		changes := make([]event.Change, 0, len(p.ops))
		for _, o := range p.ops {
			changes = append(changes, redactChange(o))
		}
		sev := p.sev
		if sev == "" {
			sev = event.DefaultSeverity(p.typ)
		}
		out = append(out, event.Event{
			ID:       event.NewID(b.obs.Source, b.project.ID, p.typ, p.key, b.cur.Digest()),
			Source:   b.obs.Source,
			Type:     p.typ,
			Subject:  b.project.ID,
			Time:     b.obs.Time,
			Severity: sev,
			Data:     event.Data{Project: b.project, Fields: p.fields, Changes: changes},
		})
	}
	return out
}

// projectStatus emits oms.project.status_changed when Status changed.
func (b *builder) projectStatus() {
	from, to := text(member(b.prev, "Status")), text(member(b.cur, "Status"))
	if from == to {
		return
	}
	b.add(&pending{typ: event.TypeProjectStatusChanged, sev: projectStatusSeverity(to),
		fields: map[string]any{"from": nullable(from), "to": nullable(to)},
		scopes: [][]string{{"Status"}}})
}

// projectStatusSeverity raises the severity of a move to a status that
// needs someone; "" keeps the catalog's default.
func projectStatusSeverity(to string) event.Severity {
	switch to {
	case "FAILED":
		return event.Critical
	case "SUSPEND", "RELEASING", "RELEASED", "DELETED":
		return event.Warning
	}
	return ""
}

// metadata emits oms.project.metadata_changed for ops on Name, Labels,
// Importance or Owner.
func (b *builder) metadata(ops []*op) {
	fields := topKeys(ops, func(k string) bool {
		return k == "Name" || k == "Labels" || k == "Importance" || k == "Owner"
	})
	if len(fields) == 0 {
		return
	}
	b.add(&pending{typ: event.TypeProjectMetadataChanged,
		fields: map[string]any{"fields": fields}, scopes: scopesOf(fields)})
}

// topKeys returns the sorted top-level members the ops touch that keep says.
func topKeys(ops []*op, keep func(string) bool) []string {
	var keys []string
	for _, o := range ops {
		if len(o.segs) > 0 && keep(o.segs[0]) && !slices.Contains(keys, o.segs[0]) {
			keys = append(keys, o.segs[0])
		}
	}
	slices.Sort(keys)
	return keys
}

func scopesOf(keys []string) [][]string {
	out := make([][]string, len(keys))
	for i, k := range keys {
		out[i] = []string{k}
	}
	return out
}
