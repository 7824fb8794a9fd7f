package service

import (
	"maps"
	"testing"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/omsapi"
)

// The demo evaluates exactly the conditions the example configuration
// ships (config/example.yaml and the rule file it includes): a change to
// one must be made to the other.
func TestDemoRunsTheShippedConditions(t *testing.T) {
	demo, isDemo, err := runConfig("")
	if err != nil || !isDemo {
		t.Fatalf("demo config: %v (demo %v)", err, isDemo)
	}
	if _, err := BuildRules(demo); err != nil {
		t.Fatalf("the demo's rules do not compile: %v", err)
	}
	shipped, err := config.LoadFile("../config/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]config.Condition{}
	for _, c := range shipped.Rules.Conditions {
		want[c.Name] = c
	}
	if len(demo.Rules.Conditions) != len(want) {
		t.Errorf("the demo has %d conditions, the example %d", len(demo.Rules.Conditions), len(want))
	}
	for _, c := range demo.Rules.Conditions {
		w, ok := want[c.Name]
		switch {
		case !ok:
			t.Errorf("demo condition %s is not in the example", c.Name)
		case c.While.Text != w.While.Text || c.Expr.Text != w.Expr.Text || c.Value.Text != w.Value.Text || c.For != w.For ||
			c.KeepFiringFor != w.KeepFiringFor || c.Severity != w.Severity || !maps.Equal(c.Labels, w.Labels):
			t.Errorf("demo condition %s differs from the example's:\n demo    %+v\n example %+v", c.Name, c, w)
		}
	}
	if demo.OMS.Mode != omsapi.ModeSim || len(demo.Rules.Routes) != 0 || demo.Rules.DefaultTo[0] != config.LogTarget {
		t.Errorf("the demo polls the simulator and prints every event: oms %q, %d routes, default_to %v",
			demo.OMS.Mode, len(demo.Rules.Routes), demo.Rules.DefaultTo)
	}
}
