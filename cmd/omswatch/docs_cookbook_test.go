package main

import (
	"cmp"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/service"
)

var cookbookEnv = map[string]string{
	"SLACK_BOT_TOKEN":         "xoxb-cookbook",
	"PAGER_RELAY_URL":         "https://relay.example.com/omswatch",
	"PAGER_RELAY_HMAC_SECRET": "cookbook-secret",
}

var docsT0 = time.Date(2025, 6, 2, 20, 0, 0, 0, time.UTC) // a Monday

// sample describes an event for a recipe's routes.
type sample struct {
	typ        string
	sev        event.Severity
	name       string // project name; default orders
	importance string // default HIGH
	labels     []string
	fields     map[string]any
	at         time.Duration // after docsT0
	project    string        // default np_1
}

func (s sample) event() event.Event {
	id := cmp.Or(s.project, "np_1")
	return event.Event{ID: "e-" + id + "-" + s.typ, Source: "oms://cn-hangzhou", Type: s.typ, Subject: id,
		Time: docsT0.Add(s.at), Severity: s.sev,
		Data: event.Data{Project: event.Project{ID: id, Name: cmp.Or(s.name, "orders"), Type: "SYNC",
			Status: "RUNNING", Importance: cmp.Or(s.importance, "HIGH"), Labels: s.labels}, Fields: s.fields}}
}

func stepFailed() sample {
	return sample{typ: event.TypeStepStatusChanged, sev: event.Critical,
		fields: map[string]any{"step": "FULL_TRANSFER", "phase": "full", "from": "RUNNING", "to": "FAILED", "progress": 60}}
}

func stepFinished() sample {
	return sample{typ: event.TypeStepStatusChanged, sev: event.Info,
		fields: map[string]any{"step": "FULL_TRANSFER", "phase": "full", "from": "RUNNING", "to": "FINISHED", "progress": 100}}
}

func progress() sample {
	return sample{typ: event.TypeStepProgressChanged, sev: event.Info,
		fields: map[string]any{"step": "FULL_TRANSFER", "phase": "full", "from": 40, "to": 60}}
}

func suspended() sample {
	return sample{typ: event.TypeProjectStatusChanged, sev: event.Warning, fields: map[string]any{"from": "RUNNING", "to": "SUSPEND"}}
}

func errorRaised(code string) sample {
	return sample{typ: event.TypeStepErrorRaised, sev: event.Critical,
		fields: map[string]any{"step": "FULL_TRANSFER", "code": code, "level": "ERROR", "message": "connection refused"}}
}

// route is one sample event and the targets the recipe must send it to
// (none: dropped or muted).
type route struct {
	name string
	ev   sample
	want []string
}

// polls is a history of snapshots (the state type of
// rules_defaults_test.go) and the condition events it must make, as
// "MINUTE firing|resolved RULE SEVERITY -> TARGETS" or "... muted (WHY)".
type polls struct {
	name  string
	polls []state
	want  []string
}

type recipeCheck struct {
	routes []route
	polls  []polls
	// check tests what routes and polls cannot say (silences, grouping).
	check func(t *testing.T, r loadedRecipe, blocks []fence)
}

func minutes(from, to int, s state) []state {
	var out []state
	for m := from; m <= to; m++ {
		s.min = m
		out = append(out, s)
	}
	return out
}

func recipeChecks() map[string]recipeCheck {
	staging := stepFinished()
	staging.name = "staging-orders"
	stagingFailed := stepFailed()
	stagingFailed.name = "staging-orders"
	ignored := suspended()
	ignored.importance = "IGNORE"
	payments, both := stepFinished(), stepFailed()
	payments.labels = []string{"team-payments"}
	both.labels = []string{"team-orders", "team-payments"}
	stalled := minutes(0, 7, state{checkpoint: 1, delay: 2})
	advancing := minutes(0, 7, state{delay: 2})
	for i := range advancing {
		advancing[i].checkpoint = i + 1
	}
	return map[string]recipeCheck{
		"failures-to-oncall": {routes: []route{
			{"a step failed", stepFailed(), []string{"oncall"}},
			{"a step error", errorRaised("CM-RESOAT1111"), []string{"oncall"}},
			{"suspended is not a failure", suspended(), []string{"log"}},
		}},
		"delay-by-importance": {polls: []polls{
			{"HIGH over 60s", minutes(0, 3, state{delay: 61}), []string{"2 firing incr_delay_high critical -> oncall"}},
			{"MEDIUM over 300s", minutes(0, 3, state{importance: "MEDIUM", delay: 301}), []string{"2 firing incr_delay_medium warning -> dba"}},
			{"LOW over 900s", minutes(0, 3, state{importance: "LOW", delay: 901}), []string{"2 firing incr_delay_low warning -> dba"}},
			{"MEDIUM at 200s", minutes(0, 3, state{importance: "MEDIUM", delay: 200}), nil},
			{"HIGH over 60s for 1m only", append(minutes(0, 1, state{delay: 61}), state{min: 2, delay: 5}), nil},
			{"HIGH, paused and late", minutes(0, 5, state{delay: 900, status: "SUSPEND", incr: "SUSPEND"}), nil},
			{"HIGH and late, then paused", append(minutes(0, 2, state{delay: 90}), minutes(3, 6, state{delay: 400, status: "SUSPEND", incr: "SUSPEND"})...),
				[]string{"2 firing incr_delay_high critical -> oncall", "3 resolved incr_delay_high info (not_applicable) -> oncall"}},
			{"HIGH and late, then caught up", append(minutes(0, 2, state{delay: 90}), state{min: 3, delay: 5}),
				[]string{"2 firing incr_delay_high critical -> oncall", "3 resolved incr_delay_high info (recovered) -> oncall"}},
		}},
		"per-label-channels": {routes: []route{
			{"team-payments", payments, []string{"payments"}},
			{"both teams", both, []string{"payments", "orders"}},
			{"no team label", stepFinished(), []string{"log"}},
		}},
		"quiet-hours": {
			routes: []route{{"a warning", suspended(), []string{"dba"}}, {"info", stepFinished(), []string{"log"}}},
			check:  checkQuietHours,
		},
		"progress-to-nats-only": {routes: []route{
			{"progress", progress(), []string{"events"}},
			{"a step finished", stepFinished(), []string{"dba", "events"}},
		}},
		"drop-noise": {routes: []route{
			{"progress", progress(), nil},
			{"catch-all change", sample{typ: event.TypeProjectChanged, sev: event.Info, fields: map[string]any{"paths": []any{"/GmtStart"}}}, nil},
			{"staging info", staging, nil},
			{"staging failure", stagingFailed, []string{"dba"}},
			{"IGNORE importance", ignored, nil},
			{"production warning", suspended(), []string{"dba"}},
		}},
		"once-per-error-code": {check: checkOncePer},
		"webhook-for-critical": {routes: []route{
			{"critical", stepFailed(), []string{"pager", "dba"}},
			{"warning", suspended(), []string{"dba"}},
			{"info", stepFinished(), []string{"log"}},
		}},
		"grouping-and-throttle": {check: checkGrouping},
		"stalled-checkpoint": {polls: []polls{
			{"stalled 5m", stalled, []string{"6 firing incr_checkpoint_stalled critical -> oncall"}},
			{"advancing", advancing, nil},
			{"stalled, then FAILED", append(slices.Clone(stalled), state{min: 8, checkpoint: 1, delay: 2, status: "FAILED", incr: "FAILED"}),
				[]string{"6 firing incr_checkpoint_stalled critical -> oncall", "8 resolved incr_checkpoint_stalled info (not_applicable) -> oncall"}},
			{"stalled while paused", minutes(0, 7, state{checkpoint: 1, delay: 2, status: "SUSPEND", incr: "SUSPEND"}), nil},
		}},
		"quiet-alarms-while-failed": {
			polls: []polls{
				{"failed 2m, then resumed", append(minutes(0, 2, state{status: "FAILED", incr: "FAILED", delay: 90}), state{min: 3, delay: 2}),
					[]string{"2 firing failed_for_2m critical -> oncall", "3 resolved failed_for_2m info (recovered) -> oncall"}},
				{"failed 2m, then paused", append(minutes(0, 2, state{status: "FAILED", incr: "FAILED", delay: 90}), state{min: 3, status: "SUSPEND", incr: "SUSPEND"}),
					[]string{"2 firing failed_for_2m critical -> oncall", "3 resolved failed_for_2m info (not_applicable) -> oncall"}},
			},
			check: checkQuietAlarms,
		},
	}
}

// cookbook is docs/COOKBOOK.md read: its fenced blocks, the targets the
// recipes use, and the recipes by name in the order they appear.
type cookbook struct {
	blocks  []fence
	base    map[string]any
	recipes map[string]fence
	order   []string
}

// readCookbook reads docs/COOKBOOK.md and sets the variables its targets
// need for the test.
func readCookbook(t *testing.T) cookbook {
	t.Helper()
	for k, v := range cookbookEnv {
		t.Setenv(k, v)
	}
	blocks := readFences(t, "../../docs/COOKBOOK.md")
	var base map[string]any
	recipes := map[string]fence{}
	var order []string
	for _, b := range blocks {
		switch {
		case b.lang == "yaml" && b.first == "# cookbook: targets":
			if err := yaml.Unmarshal([]byte(b.body), &base); err != nil {
				t.Fatalf("COOKBOOK.md:%d: %v", b.line, err)
			}
		case b.lang == "yaml" && strings.HasPrefix(b.first, "# recipe: "):
			name := strings.TrimPrefix(b.first, "# recipe: ")
			if _, dup := recipes[name]; dup {
				t.Errorf("COOKBOOK.md:%d: recipe %s appears twice", b.line, name)
			}
			recipes[name] = b
			order = append(order, name)
		case b.lang == "yaml":
			t.Errorf("COOKBOOK.md:%d: a yaml block that is neither a recipe nor the targets; start it with # recipe: NAME", b.line)
		}
	}
	if base == nil {
		t.Fatal("COOKBOOK.md has no # cookbook: targets block")
	}
	if _, ok := base["oms"]; !ok {
		base["oms"] = map[string]any{"mode": "sim"} // a recipe is about rules, not which OMS
	}
	return cookbook{blocks: blocks, base: base, recipes: recipes, order: order}
}

// TestCookbookRecipes loads each recipe of docs/COOKBOOK.md over the
// cookbook's targets with the real loader, compiles its rules and runs its
// samples through the rules engine.
func TestCookbookRecipes(t *testing.T) {
	cb := readCookbook(t)
	blocks, base, recipes, order := cb.blocks, cb.base, cb.recipes, cb.order
	if len(recipes) < 10 {
		t.Errorf("COOKBOOK.md has %d recipes; the issue asks for at least 10", len(recipes))
	}
	checks := recipeChecks()
	for name := range checks {
		if _, ok := recipes[name]; !ok {
			t.Errorf("docs_test.go checks recipe %s, which COOKBOOK.md does not have", name)
		}
	}
	for _, name := range order {
		t.Run(name, func(t *testing.T) {
			b := recipes[name]
			check, ok := checks[name]
			if !ok {
				t.Fatalf("COOKBOOK.md:%d: recipe %s has no check in recipeChecks; say what it must do", b.line, name)
			}
			r := loadRecipe(t, base, b)
			eng := r.eng
			for _, rc := range check.routes {
				if got := routeTargets(t, eng, rc.ev.event()); !reflect.DeepEqual(got, rc.want) {
					t.Errorf("%s: sent to %v; the recipe says %v", rc.name, got, rc.want)
				}
			}
			for _, pc := range check.polls {
				if got := runRecipePolls(t, eng, pc.polls); !reflect.DeepEqual(got, pc.want) {
					t.Errorf("%s: condition events\n%s\nwant\n%s", pc.name, strings.Join(got, "\n"), strings.Join(pc.want, "\n"))
				}
			}
			if check.check != nil {
				var own []fence
				for _, f := range blocks {
					if f.first == "# recipe: "+name {
						own = append(own, f)
					}
				}
				check.check(t, r, own)
			}
		})
	}
}

// loadedRecipe is a recipe loaded: its configuration and compiled rules.
type loadedRecipe struct {
	cfg *config.Config
	eng *rules.Engine
}

// loadRecipe merges a recipe over the targets, loads it as a configuration
// file and compiles its rules.
func loadRecipe(t *testing.T, base map[string]any, b fence) loadedRecipe {
	t.Helper()
	var recipe map[string]any
	if err := yaml.Unmarshal([]byte(b.body), &recipe); err != nil {
		t.Fatalf("COOKBOOK.md:%d: %v", b.line, err)
	}
	doc, err := yaml.Marshal(mergeYAML(base, recipe))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(doc, "recipe.yaml")
	if err != nil {
		t.Fatalf("COOKBOOK.md:%d: the recipe does not load:\n%v\n%s", b.line, err, doc)
	}
	eng, err := service.BuildRules(cfg)
	if err != nil {
		t.Fatalf("COOKBOOK.md:%d: the recipe's rules do not compile:\n%v", b.line, err)
	}
	return loadedRecipe{cfg: cfg, eng: eng}
}

// mergeYAML lays over on base: mappings merge key by key, anything else
// in over replaces base's.
func mergeYAML(base, over map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		bm, ok1 := out[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = mergeYAML(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}

func routeTargets(t *testing.T, eng *rules.Engine, e event.Event) []string {
	t.Helper()
	d, err := eng.Route(e)
	if err != nil {
		t.Fatalf("route %s: %v", e.Type, err)
	}
	var out []string
	for _, de := range d.Deliveries {
		out = append(out, de.Target)
	}
	return out
}

// runRecipePolls evaluates a history of snapshots and describes the
// condition events it made and where they went.
func runRecipePolls(t *testing.T, eng *rules.Engine, ps []state) []string {
	t.Helper()
	return evaluatePolls(t, eng, ps, func(min int, e event.Event, d rules.Decision) string {
		line := strings.Join([]string{strconv.Itoa(min), strings.TrimPrefix(e.Type, "oms.condition."),
			fieldOf(e, "rule"), string(e.Severity)}, " ")
		if r := fieldOf(e, "reason"); r != "" {
			line += " (" + r + ")"
		}
		if d.Muted != "" {
			return line + " muted (" + d.Muted + ")"
		}
		var to []string
		for _, de := range d.Deliveries {
			to = append(to, de.Target)
		}
		return line + " -> " + strings.Join(to, ", ")
	})
}

func fieldOf(e event.Event, key string) string {
	s, _ := e.Data.Fields[key].(string)
	return s
}

// checkQuietHours runs the recipe's `omswatch silence add` line: the
// silence it makes mutes warnings from 22:00 to 07:00 and never critical
// events.
