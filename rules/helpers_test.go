package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

// t0 is the simulated clock's origin in these tests.
var t0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

// ev builds an event of a type for project np_1 (orders, HIGH, label prod);
// kv sets data fields and, with keys starting with ".", attributes:
// .severity .source .subject .name .importance .labels (comma separated).
func ev(typ string, kv ...string) event.Event {
	e := event.Event{
		ID: "id-" + typ, Source: "oms://cn-hangzhou", Type: typ, Subject: "np_1", Time: t0,
		Severity: event.Info,
		Data: event.Data{
			Project: event.Project{ID: "np_1", Name: "orders", Type: "MIGRATION", Status: "RUNNING",
				Importance: "HIGH", Labels: []string{"prod"}, Owner: "dba"},
			Fields: map[string]any{},
		},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i], kv[i+1]
		switch k {
		case ".severity":
			e.Severity = event.Severity(v)
		case ".source":
			e.Source = v
		case ".subject":
			e.Subject, e.Data.Project.ID = v, v
		case ".name":
			e.Data.Project.Name = v
		case ".importance":
			e.Data.Project.Importance = v
		case ".labels":
			e.Data.Project.Labels = strings.Split(v, ",")
		default:
			e.Data.Fields[k] = v
		}
	}
	return e
}

// mustEngine builds an engine or fails the test with every problem.
func mustEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New:\n%v", err)
	}
	return e
}

// routeNames lists the names of the routes a decision took.
func routeNames(d Decision) []string {
	var out []string
	for _, h := range d.Routes {
		out = append(out, h.Name+":"+h.Action)
	}
	return out
}

// targetsOf lists the targets of a decision's deliveries.
func targetsOf(d Decision) []string {
	var out []string
	for _, de := range d.Deliveries {
		out = append(out, de.Target)
	}
	return out
}

func x(text string) Expr { return Expr{Text: text, Where: "test.yaml:1:1", Path: "expr"} }
