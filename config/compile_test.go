package config

import (
	"strings"
	"testing"
)

// TestLoadCompilesTheRules: one load reports the sections' problems and
// the rules' compile problems together, in file order, and a mistake both
// see (an unknown target, a duplicate name) once.
func TestLoadCompilesTheRules(t *testing.T) {
	doc := `rules:
  routes:
    - name: a
      when: 'event.Typ == "x"'
    - name: b
      match: {types: [oms.step.*]}
      to: [nowhere]
  conditions:
    - name: c
      expr: 'project.Stauts == "FAILED"'
    - name: c
      expr: 'true'
`
	_, err := Load([]byte(doc+"oms: {mode: sim}\n"), "r.yaml")
	want := []string{
		`r.yaml:3:7: rules.routes[0]: needs to (a list of targets) or drop: true`,
		`r.yaml:4:13: rules.routes[0].when: the expression does not compile: type rules.Event has no field Typ (did you mean Type?) (column 7 of the expression)`,
		`r.yaml:7:12: rules.routes[1].to[0]: unknown target "nowhere"; defined targets: log`,
		`r.yaml:10:13: rules.conditions[0].expr: the expression does not compile: type oms.Project has no field Stauts (did you mean Status?) (column 9 of the expression)`,
		`r.yaml:11:13: rules.conditions[1].name: "c" is already the name of the condition at r.yaml:9:7`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

func TestParsePosition(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Position
		ok   bool
	}{
		{"r.yaml:3:7", Position{File: "r.yaml", Line: 3, Column: 7}, true},
		{`C:\etc\omswatch.yaml:12:1`, Position{File: `C:\etc\omswatch.yaml`, Line: 12, Column: 1}, true},
		{"r.yaml", Position{}, false},
		{"", Position{}, false},
		{"r.yaml:0:1", Position{}, false},
	} {
		if got, ok := parsePosition(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("parsePosition(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
