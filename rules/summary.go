package rules

import (
	"fmt"
	"strings"

	"github.com/omswatch/omswatch/event"
)

// Summary renders an event as one line of text: severity, project, and
// what happened in the words of its type. Sinks with templates of their own
// replace it; it is what dry runs (`rules test`, `replay`) print.
func Summary(e event.Event) string {
	p := e.Data.Project
	who := p.ID
	if who == "" {
		who = e.Subject
	}
	if p.Name != "" {
		who += " (" + p.Name + ")"
	}
	return fmt.Sprintf("[%s] %s: %s", e.Severity, who, what(e))
}

// what says what happened, per event type.
func what(e event.Event) string {
	f := func(k string) string { return fieldText(e.Data.Fields[k]) }
	switch e.Type {
	case event.TypeProjectDiscovered:
		return "discovered, status " + f("status")
	case event.TypeProjectStatusChanged:
		return fmt.Sprintf("status %s -> %s", f("from"), f("to"))
	case event.TypeProjectRemoved:
		return "removed (last status " + f("last_status") + ")"
	case event.TypeProjectMetadataChanged:
		return "metadata changed: " + f("fields")
	case event.TypeStepStatusChanged:
		return fmt.Sprintf("step %s (%s) %s -> %s, %s%%", f("step"), f("phase"), f("from"), f("to"), f("progress"))
	case event.TypeStepProgressChanged:
		return fmt.Sprintf("step %s (%s) progress %s%% -> %s%%", f("step"), f("phase"), f("from"), f("to"))
	case event.TypeStepErrorRaised:
		return fmt.Sprintf("step %s error %s: %s", f("step"), f("code"), f("message"))
	case event.TypeStepErrorCleared:
		return fmt.Sprintf("step %s errors cleared (%s)", f("step"), f("codes"))
	case event.TypeAlarmTriggered:
		return fmt.Sprintf("alarm triggered (%s recent): %s", f("count"), f("content"))
	case event.TypeAlarmCleared:
		return "alarm cleared"
	case event.TypeConfigChanged:
		return "configuration changed: " + f("sections")
	case event.TypeWorkerExpired:
		return fmt.Sprintf("worker %s expired at %s", f("worker"), f("end_time"))
	case event.TypeProjectChanged:
		return "changed: " + f("paths")
	case event.TypeConditionFiring:
		s := fmt.Sprintf("condition %s firing since %s, value %s", f("rule"), f("since"), f("value"))
		if r := f("repeat"); r != "" {
			s += " (reminder " + r + ")"
		}
		return s
	case event.TypeConditionResolved:
		return fmt.Sprintf("condition %s resolved (held since %s), value %s", f("rule"), f("since"), f("value"))
	case event.TypePollFailing:
		return fmt.Sprintf("polls failing (%s in a row): %s %s", f("failures"), f("error_code"), f("error"))
	case event.TypePollRecovered:
		return "polls recovered after " + f("failures") + " failures"
	}
	return e.Type
}

// fieldText writes a data field for humans: lists joined by commas, maps
// as k=v, null as "-".
func fieldText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case []string:
		return strings.Join(t, ", ")
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = fieldText(x)
		}
		return strings.Join(parts, ", ")
	case map[string]int:
		return fmt.Sprint(t)
	}
	return fmt.Sprint(v)
}
