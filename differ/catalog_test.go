package differ

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

// The differ's events are what the catalog says of their type: exactly its
// fields (plus optional ones), a severity it can have, and the default
// unless the type's severity depends on its data. Templates, rules and the
// summary line rely on the catalog, so it must not drift from the producer.
func TestEventsFollowTheCatalog(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(goldenDir, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases in %s (%v)", goldenDir, err)
	}
	var events []event.Event
	for _, dir := range dirs {
		prev := readCase(t, filepath.Join(dir, "old.json"), true)
		cur := readCase(t, filepath.Join(dir, "new.json"), false)
		res, err := Diff(prev, cur, Observation{Source: "file://", Time: time.Unix(0, 0).UTC()})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		events = append(events, res.Events...)
		if cur.Project().ID != "" {
			e, err := Removed(cur, Observation{Source: "file://", Time: time.Unix(0, 0).UTC()})
			if err != nil {
				t.Fatalf("%s: %v", dir, err)
			}
			events = append(events, e)
		}
	}
	for _, e := range events {
		s, ok := event.Describe(e.Type)
		if !ok {
			t.Errorf("%s is not in the catalog", e.Type)
			continue
		}
		for _, f := range s.Fields {
			if _, has := e.Data.Fields[f]; !has {
				t.Errorf("%s %s lacks field %q", e.Type, e.Subject, f)
			}
		}
		for f := range e.Data.Fields {
			if !slices.Contains(s.Fields, f) && !slices.Contains(s.Optional, f) {
				t.Errorf("%s %s carries field %q, which the catalog does not name", e.Type, e.Subject, f)
			}
		}
		if !slices.Contains(s.Severities, e.Severity) {
			t.Errorf("%s %s is %s; the catalog allows %v", e.Type, e.Subject, e.Severity, s.Severities)
		}
		if len(s.Severities) == 1 && e.Severity != s.Severity {
			t.Errorf("%s %s is %s, not the catalog's %s", e.Type, e.Subject, e.Severity, s.Severity)
		}
	}
}
