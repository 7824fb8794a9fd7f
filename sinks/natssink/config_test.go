package natssink_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks/natssink"
)

// Issue 18, point 5: a subject template is rendered for a sample event of
// every type when the configuration is checked; one that cannot make a
// valid subject of some type is refused at "subject", naming the types.
func TestValidateRendersTheSubjectForEveryType(t *testing.T) {
	all := len(event.Types())
	var stepTypes int
	for _, typ := range event.Types() {
		if strings.HasPrefix(typ, "oms.step.") {
			stepTypes++
		}
	}
	cases := []struct {
		subject string
		want    string // "" = valid; else a part of the error
	}{
		{natssink.DefaultSubject, ""},
		{"alerts.{{.Type}}.{{.Severity}}.{{.Project.Name}}", ""},
		{"alerts.{{.Type}}.{{.Project.Labels}}", "makes no valid subject"},
		{`alerts.{{.Type}}.{{or .Data.step "none"}}`, ""},
		{"alerts.{{.Data.step}}", fmt.Sprintf("of %d of %d event types (oms.project.discovered, ", all-stepTypes, all)},
		{"alerts.{{.Data.step}}", `oms.project.discovered events get "alerts.<no value>"`},
		{"alerts.{{.Data.paths}}", "oms.project.changed"},
		{"alerts.{{.Time}}", fmt.Sprintf("of %d of %d event types", all, all)},
		{"alerts.{{if eq .Severity \"critical\"}}page{{end}}", fmt.Sprintf("of %d of %d", all, all)},
		{"alerts.{{.Data.repeat}}.x", "oms.condition.firing"},
		{"alerts.{{.Data.fields.x}}", "oms.project.discovered events fail: template: subject:1:14: executing"},
	}
	for _, tc := range cases {
		t.Run(tc.subject, func(t *testing.T) {
			err := natssink.Config{Subject: setting.Template{Text: tc.subject}}.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one with %q", err, tc.want)
			case err != nil && !strings.HasPrefix(err.Error(), "subject: "):
				t.Errorf("error %q is not at subject", err)
			}
		})
	}
}
