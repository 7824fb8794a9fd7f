package incident

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/omswatch/omswatch/event"
)

// Runbook maps a glob (path.Match) over error codes, causes and event
// types to a link or a short text saying what to do.
type Runbook struct {
	Match string `yaml:"match"`
	Text  string `yaml:"text"`
}

// Runbooks finds the runbook of an incident or an event: the first of the
// user's entries that matches any of its keys, else the first shipped
// entry that does. The zero Runbooks has none.
type Runbooks struct {
	user, shipped []Runbook
}

// NewRunbooks is the user's entries, then, with shipped, Shipped().
func NewRunbooks(user []Runbook, shipped bool) Runbooks {
	rb := Runbooks{user: slices.Clone(user)}
	if shipped {
		rb.shipped = Shipped()
	}
	return rb
}

// IsZero reports whether there is no entry at all.
func (rb Runbooks) IsZero() bool { return len(rb.user) == 0 && len(rb.shipped) == 0 }

// For returns the text of the first entry that matches one of keys (the
// user's before the shipped ones); "" for none.
func (rb Runbooks) For(keys ...string) string {
	for _, list := range [][]Runbook{rb.user, rb.shipped} {
		for _, r := range list {
			for _, k := range keys {
				if ok, _ := path.Match(r.Match, k); ok && k != "" {
					return r.Text
				}
			}
		}
	}
	return ""
}

// Incident returns the incident's runbook, by its error code and its cause
// (condition:RULE, step:STEP, project:FAILED, poll).
func (rb Runbooks) Incident(in *Incident) string {
	var code string
	if in.Error != nil {
		code = in.Error.Code
	}
	return rb.For(code, in.Cause.Key())
}

// Event returns the runbook of a problem an event reports: by its error
// codes (a step's error, a failing poll's), its OMS alarm kinds
// (oms_sync_delay), its cause as an incident would name it (a step or the
// project FAILED, a condition firing, failing polls) and its type. An
// event that reports no problem (a resolution, progress) is matched by its
// type alone; incident events carry their incident's runbook already and
// get none here.
func (rb Runbooks) Event(e *event.Event) string {
	if rb.IsZero() || strings.HasPrefix(e.Type, "oms.incident.") {
		return ""
	}
	return rb.For(append(eventKeys(e), e.Type)...)
}

// eventKeys are the error codes, alarm kinds and cause of a problem event.
func eventKeys(e *event.Event) []string {
	d := e.Data
	switch e.Type {
	case event.TypeStepErrorRaised:
		return []string{d.Text("code"), KindStep + ":" + d.Text("step")}
	case event.TypeStepStatusChanged:
		if strings.EqualFold(d.Text("to"), "FAILED") {
			return []string{KindStep + ":" + d.Text("step")}
		}
	case event.TypeProjectStatusChanged:
		if strings.EqualFold(d.Text("to"), "FAILED") {
			return []string{KindProject + ":FAILED"}
		}
	case event.TypeConditionFiring:
		return []string{KindCondition + ":" + d.Text("rule")}
	case event.TypePollFailing:
		return []string{d.Text("error_code"), KindPoll}
	case event.TypeAlarmTriggered:
		switch rules := d.Fields["rules"].(type) {
		case map[string]any:
			return slices.Sorted(maps.Keys(rules))
		case map[string]int:
			return slices.Sorted(maps.Keys(rules))
		}
	}
	return nil
}
