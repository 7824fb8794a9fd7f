package service

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
)

// TextLine is the readable one-line summary of an event: time, severity,
// type, project and what happened (step, from -> to, code, message...).
func TextLine(e event.Event) string {
	f := e.Data.Fields
	var what string
	switch e.Type {
	case event.TypeProjectDiscovered:
		what = "status " + show(f["status"])
	case event.TypeProjectStatusChanged:
		what = show(f["from"]) + " -> " + show(f["to"])
	case event.TypeProjectRemoved:
		what = "last status " + show(f["last_status"])
	case event.TypeStepStatusChanged:
		what = fmt.Sprintf("step %s (%s): %s -> %s, progress %s", show(f["step"]), show(f["phase"]),
			show(f["from"]), show(f["to"]), show(f["progress"]))
	case event.TypeStepProgressChanged:
		what = fmt.Sprintf("step %s (%s): %s -> %s", show(f["step"]), show(f["phase"]), show(f["from"]), show(f["to"]))
	case event.TypeStepErrorRaised:
		what = fmt.Sprintf("step %s: %s: %s", show(f["step"]), show(f["code"]), show(f["message"]))
	case event.TypeStepErrorCleared:
		what = fmt.Sprintf("step %s: cleared %s", show(f["step"]), show(f["codes"]))
	case event.TypeAlarmTriggered:
		what = fmt.Sprintf("count %s, rules %s: %s", show(f["count"]), show(f["rules"]), show(f["content"]))
	case event.TypeAlarmCleared:
		what = "count " + show(f["count"])
	case event.TypeWorkerExpired:
		what = fmt.Sprintf("worker %s, ended %s", show(f["worker"]), show(f["end_time"]))
	case event.TypeProjectMetadataChanged:
		what = "fields " + show(f["fields"])
	case event.TypeConfigChanged:
		what = "sections " + show(f["sections"])
	case event.TypeProjectChanged:
		what = "paths " + show(f["paths"])
	case event.TypeConditionFiring:
		what = fmt.Sprintf("%s firing since %s, value %s", show(f["rule"]), show(f["since"]), show(f["value"]))
	case event.TypeConditionResolved:
		what = fmt.Sprintf("%s resolved, value %s", show(f["rule"]), show(f["value"]))
	case event.TypePollFailing:
		what = fmt.Sprintf("%s polls failed (%s): %s", show(f["failures"]), show(f["error_code"]), show(f["error"]))
	case event.TypePollRecovered:
		what = fmt.Sprintf("polled again after %s failures", show(f["failures"]))
	}
	return fmt.Sprintf("%s %-8s %s %s: %s", e.Time.UTC().Format(time.RFC3339), e.Severity, e.Type, e.Subject, what)
}

// show prints a field value compactly: "-" for null, lists comma-separated,
// maps as k+v.
func show(v any) string {
	switch t := v.(type) {
	case nil:
		return "-"
	case []string:
		if len(t) == 0 {
			return "-"
		}
		return strings.Join(t, ",")
	case map[string]any:
		parts := make([]string, 0, len(t))
		for _, k := range slices.Sorted(maps.Keys(t)) {
			parts = append(parts, fmt.Sprintf("%s+%v", k, t[k]))
		}
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, ",")
	}
	return strings.Join(strings.Fields(fmt.Sprint(v)), " ")
}
