package event

import (
	"fmt"
	"path"
)

// Event types of the catalog (the EVENTS.md contract, v1).
const (
	TypeProjectDiscovered      = "oms.project.discovered"
	TypeProjectStatusChanged   = "oms.project.status_changed"
	TypeProjectRemoved         = "oms.project.removed"
	TypeProjectMetadataChanged = "oms.project.metadata_changed"
	TypeStepStatusChanged      = "oms.step.status_changed"
	TypeStepProgressChanged    = "oms.step.progress_changed"
	TypeStepErrorRaised        = "oms.step.error_raised"
	TypeStepErrorCleared       = "oms.step.error_cleared"
	TypeAlarmTriggered         = "oms.alarm.triggered"
	TypeAlarmCleared           = "oms.alarm.cleared"
	TypeConfigChanged          = "oms.config.changed"
	TypeWorkerExpired          = "oms.worker.expired"
	TypeProjectChanged         = "oms.project.changed"
	TypeConditionFiring        = "oms.condition.firing"
	TypeConditionResolved      = "oms.condition.resolved"
	TypePollFailing            = "oms.poll.failing"
	TypePollRecovered          = "oms.poll.recovered"
)

// Types returns every event type of the catalog, in catalog order. It
// returns a fresh slice so callers may keep or sort it.
func Types() []string {
	return []string{
		TypeProjectDiscovered, TypeProjectStatusChanged, TypeProjectRemoved,
		TypeProjectMetadataChanged, TypeStepStatusChanged, TypeStepProgressChanged,
		TypeStepErrorRaised, TypeStepErrorCleared, TypeAlarmTriggered, TypeAlarmCleared,
		TypeConfigChanged, TypeWorkerExpired, TypeProjectChanged, TypeConditionFiring,
		TypeConditionResolved, TypePollFailing, TypePollRecovered,
	}
}

// IsKnownType reports whether t is a type of the catalog.
func IsKnownType(t string) bool {
	for _, k := range Types() {
		if k == t {
			return true
		}
	}
	return false
}

// TypesMatching returns the catalog types a glob (path.Match syntax, e.g.
// "oms.step.*") matches. A glob that matches nothing is usually a typo in a
// rule, so callers report it.
func TypesMatching(glob string) ([]string, error) {
	if _, err := path.Match(glob, ""); err != nil {
		return nil, fmt.Errorf("event type pattern %q: %w", glob, err)
	}
	var out []string
	for _, t := range Types() {
		if ok, _ := path.Match(glob, t); ok {
			out = append(out, t)
		}
	}
	return out, nil
}
