package sinks

import (
	"fmt"
	"time"

	"github.com/omswatch/omswatch/event"
)

// SampleEvents returns an event of every type of the catalog as a target
// receives it (through the outbox's JSON, numbers as json.Number), once
// for each severity (a route may override the type's) and, for a type with optional
// fields, once with and once without them: what a template is checked
// against when the configuration is loaded, so that one event type cannot
// surprise it at run time. Values are plausible, not real: a list field is
// a list, a number a number.
func SampleEvents() []event.Event {
	var out []event.Event
	at := time.Date(2026, 11, 24, 10, 0, 5, 0, time.UTC)
	project := event.Project{ID: "np_sample", Name: "orders sample", Type: "MIGRATION", Status: "RUNNING",
		Importance: "HIGH", Labels: []string{"team-dba", "tier-1"}, Owner: "dba"}
	for _, typ := range event.Types() {
		spec, _ := event.Describe(typ)
		optional := [][]string{nil}
		if len(spec.Optional) > 0 {
			optional = append(optional, spec.Optional)
		}
		for _, sev := range []event.Severity{event.Info, event.Warning, event.Critical} {
			for _, opt := range optional {
				fields := map[string]any{}
				for _, f := range append(append([]string(nil), spec.Fields...), opt...) {
					fields[f] = sampleValue(f)
				}
				e := event.Event{ID: event.NewID("oms://sample", project.ID, typ, string(sev), fmt.Sprint(len(opt))),
					Source: "oms://cn-hangzhou", Type: typ, Subject: project.ID, Time: at, Severity: sev,
					Data: event.Data{Project: project, Fields: fields}}
				out = append(out, asDelivered(e))
			}
		}
	}
	return out
}

// asDelivered is e as a worker decodes it from the outbox.
func asDelivered(e event.Event) event.Event {
	b, err := e.JSON()
	if err != nil {
		return e
	}
	d, err := decodeForDelivery(b)
	if err != nil {
		return e
	}
	return d
}

// sampleValue is a value of the shape the producers give a data field.
func sampleValue(field string) any {
	switch field {
	case "fields", "codes", "sections", "paths":
		return []string{"a", "b"}
	case "rules", "labels":
		return map[string]any{"a": "b"}
	case "progress", "count", "failures", "repeat":
		return 42
	case "since", "fired_at", "end_time":
		return "2026-11-24T09:55:00Z"
	}
	return "sample_" + field
}
