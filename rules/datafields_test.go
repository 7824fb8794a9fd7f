package rules

import (
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
)

// TestRouteDataFields: a route's when and once_per may read only the data
// fields of the types it can match; event.Data is a map, so the type
// checker alone lets event.Data.stpe through as a nil that is never equal.
func TestRouteDataFields(t *testing.T) {
	cases := []struct {
		name  string
		types []string
		when  string
		want  string
	}{
		{"a field of the type", []string{event.TypeStepStatusChanged}, `event.Data.to == "FAILED"`, ""},
		{"a field of one of the types", []string{"oms.step.*"}, `event.Data.code == "X"`, ""},
		{"an optional field", []string{event.TypeConditionResolved}, `event.Data.labels != nil && event.Data.reason == "recovered"`, ""},
		{"a field any event may carry", nil, `event.Data.changes_omitted != nil`, ""},
		{"a typo, every type", nil, `event.Data.stpe == "FULL_TRANSFER"`,
			"event.Data.stpe: no event type the route matches has a data field stpe (did you mean step?) (column 12 of the expression)"},
		{"a field of another type", []string{event.TypeProjectStatusChanged}, `event.Data.step == "X"`,
			"event.Data.step: oms.project.status_changed has no data field step; its fields: from, to (column 12 of the expression)"},
		{"index syntax", []string{event.TypeProjectStatusChanged}, `event.Data["too"] == "FAILED"`,
			`event.Data.too: oms.project.status_changed has no data field too; its fields: from, to (did you mean to?) (column 11 of the expression)`},
		{"inside a closure", []string{event.TypeAlarmTriggered}, `any(["a"], {event.Data.rule == #})`,
			"event.Data.rule: oms.alarm.triggered has no data field rule; its fields: rules, count, content (did you mean rules?) (column 24 of the expression)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Routes: []Route{{Name: "r", Match: Match{Types: tc.types}, To: []string{"log"},
				When: Expr{Text: tc.when, Where: "r.yaml:4:13", Path: "rules.routes[0].when"}}}})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || err.Error() != "r.yaml:4:13: rules.routes[0].when: "+tc.want):
				t.Fatalf("error\n%v\nwant\nr.yaml:4:13: rules.routes[0].when: %s", err, tc.want)
			}
		})
	}
	_, err := New(Config{Routes: []Route{{Name: "r", Match: Match{Types: []string{event.TypeStepErrorRaised}}, To: []string{"log"},
		OncePer: Expr{Text: `event.Data.step + "/" + event.Data.cdoe`, Where: "r.yaml:5:17", Path: "rules.routes[0].once_per"}}}})
	if err == nil || !strings.Contains(err.Error(), "r.yaml:5:17: rules.routes[0].once_per: event.Data.cdoe: oms.step.error_raised has no data field cdoe") {
		t.Fatalf("once_per: %v", err)
	}
}
