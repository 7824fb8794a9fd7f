package differ

import (
	"strings"

	"github.com/wI2L/jsondiff"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// op is one patch operation with what classification needs: its path split
// into unescaped segments and the value it replaces or removes.
type op struct {
	change event.Change
	old    any
	segs   []string
	// claimed is set once an event holds the op.
	claimed bool
}

func newOp(p jsondiff.Operation) *op {
	return &op{
		change: event.Change{Op: p.Type, Path: p.Path, From: p.From, Value: p.Value},
		old:    p.OldValue,
		segs:   splitPointer(p.Path),
	}
}

// splitPointer splits an RFC 6901 JSON Pointer into unescaped segments; the
// root "" has none.
func splitPointer(ptr string) []string {
	if ptr == "" {
		return nil
	}
	segs := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, s := range segs {
		if strings.Contains(s, "~") {
			segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		}
	}
	return segs
}

// pointer joins segments back into a JSON Pointer.
func pointer(segs ...string) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// related reports whether an op at path segs touches scope: the op is at or
// under the scope, or it replaces a whole ancestor of it.
func related(segs, scope []string) bool {
	n := min(len(segs), len(scope))
	for i := range n {
		if segs[i] != scope[i] {
			return false
		}
	}
	return true
}

// under reports whether segs is at or under prefix.
func under(segs []string, prefix ...string) bool {
	if len(segs) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if p != "*" && segs[i] != p {
			return false
		}
	}
	return true
}

// isTelemetry reports whether an op changes telemetry only: its path is
// telemetry, or it adds, removes or replaces an object every leaf of which
// is telemetry (ExtraInfo appearing with only SyncDelay in it).
func (o *op) isTelemetry() bool {
	switch o.change.Op {
	case "add":
		return telemetryValue(o.segs, o.change.Value)
	case "remove":
		return telemetryValue(o.segs, o.old)
	case "replace":
		return telemetryValue(o.segs, o.change.Value) && telemetryValue(o.segs, o.old)
	}
	return telemetryPath(o.segs)
}

// telemetryPath is the one definition of telemetry, shared with the poller.
func telemetryPath(segs []string) bool { return oms.IsTelemetry(segs) }

// telemetryValue reports whether the value v at segs holds telemetry only.
func telemetryValue(segs []string, v any) bool {
	if telemetryPath(segs) {
		return true
	}
	m, ok := v.(map[string]any)
	if !ok || !aboveTelemetry(segs) {
		return false
	}
	child := make([]string, len(segs)+1)
	copy(child, segs)
	for k, e := range m {
		child[len(segs)] = k
		if !telemetryValue(child, e) {
			return false
		}
	}
	return true
}

// aboveTelemetry reports whether segs is a proper ancestor of telemetry
// (see oms.IsTelemetry): the root, ExtraInfo, AlarmStats, Steps or one step.
func aboveTelemetry(segs []string) bool {
	switch len(segs) {
	case 0:
		return true
	case 1:
		return segs[0] == "ExtraInfo" || segs[0] == "AlarmStats" || segs[0] == "Steps"
	case 2:
		return segs[0] == "Steps"
	}
	return false
}
