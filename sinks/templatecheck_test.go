package sinks

import (
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
)

func TestCheckTemplateFields(t *testing.T) {
	step := []string{event.TypeStepStatusChanged}
	cases := []struct {
		name  string
		text  string
		types []string
		want  []string
	}{
		{"known fields", "{{.Type}} {{.Project.Name}} {{.Data.step}} {{.Time.Unix}} {{icon .Severity}}", step, nil},
		{"a typo at the top", "{{.Typ}}", nil,
			[]string{".Typ: the template data has no field Typ; its fields: ID, Source, Type, Subject, Severity, Time, Project, Data, Where, Link (did you mean Type?)"}},
		{"a typo in the project", "{{.Project.Nme}}", nil,
			[]string{".Project.Nme: .Project has no field Nme; its fields: ID, Name, Type, Status, Importance, Labels, Owner (did you mean Name?)"}},
		{"a data field of no type", "{{.Data.stpe}}", nil,
			[]string{".Data.stpe: no event type it is used for has a data field stpe (did you mean step?)"}},
		{"a data field of another type", "{{.Data.code}}", step,
			[]string{".Data.code: oms.step.status_changed has no data field code; its fields: step, phase, from, to, progress"}},
		{"a field of some of the types", "{{.Data.code}}", []string{event.TypeStepStatusChanged, event.TypeStepErrorRaised}, nil},
		{"optional fields", "{{.Data.labels}} {{.Data.fired_at}} {{.Data.changes_omitted}}", []string{event.TypeConditionResolved}, nil},
		{"a branch not taken", `{{if eq .Type "x"}}{{.Data.stpe}}{{end}}`, step,
			[]string{".Data.stpe: oms.step.status_changed has no data field stpe; its fields: step, phase, from, to, progress (did you mean step?)"}},
		{"with changes dot", "{{with .Project}}{{.Nme}}{{end}}{{with .Data.step}}{{.anything}}{{end}}", step,
			[]string{".Nme: dot (event.Project) has no field Nme; its fields: ID, Name, Type, Status, Importance, Labels, Owner (did you mean Name?)"}},
		{"range over labels", "{{range .Project.Labels}}{{.}}{{end}}", nil, nil},
		{"root variable", "{{with .Data}}{{$.Typ}}{{end}}", nil,
			[]string{"$.Typ: the template data has no field Typ; its fields: ID, Source, Type, Subject, Severity, Time, Project, Data, Where, Link (did you mean Type?)"}},
		{"in a function's arguments", "{{json .Data.stpe}}", step,
			[]string{".Data.stpe: oms.step.status_changed has no data field stpe; its fields: step, phase, from, to, progress (did you mean step?)"}},
		{"a line of several", "{{.Type}}\n{{.Data.stpe}}", step,
			[]string{"template line 2: .Data.stpe: oms.step.status_changed has no data field stpe; its fields: step, phase, from, to, progress (did you mean step?)"}},
		{"does not parse", "{{.Typ", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range CheckTemplateFields(tc.text, tc.types) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestDefaultTemplatesUseKnownFields: the catalog's own Slack templates
// pass the check they hold the users' to.
func TestDefaultTemplatesUseKnownFields(t *testing.T) {
	for _, typ := range event.Types() {
		s, _ := event.Describe(typ)
		for _, e := range CheckTemplateFields(s.Slack, []string{typ}) {
			t.Errorf("%s: %v", typ, e)
		}
	}
}
