package main

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/service"
	"github.com/omswatch/omswatch/sinks"
)

// cookbookReplays are the condition notifications each recipe with
// conditions sends over testdata/rules/recordings/suspend-resume.jsonl: a
// HIGH project whose incremental step lags (08:21), fails (08:27-08:29) and
// is resumed, then is paused (SUSPEND, 08:34-08:39) while its lag grows
// and is resumed again. Nothing fires while it is paused, and what was
// firing when it failed ends as not_applicable, not as a recovery.
var cookbookReplays = map[string][]string{
	"delay-by-importance": {
		"08:23 firing incr_delay_high critical -> oncall",
		"08:27 resolved incr_delay_high info (not_applicable) -> oncall",
	},
	"stalled-checkpoint": {
		"08:26 firing incr_checkpoint_stalled critical -> oncall",
		"08:27 resolved incr_checkpoint_stalled info (not_applicable) -> oncall",
	},
	"quiet-alarms-while-failed": {
		"08:29 firing failed_for_2m critical -> oncall",
		"08:30 resolved failed_for_2m info (recovered) -> oncall",
	},
}

// TestCookbookReplay replays every recipe over the recordings with a
// project that FAILED, was paused (SUSPEND) and resumed: no expression
// fails, no condition event says a project recovered while it is FAILED
// or paused, none but a failure rule fires on one, and the recipes with
// conditions send exactly cookbookReplays over suspend-resume.jsonl.
func TestCookbookReplay(t *testing.T) {
	cb := readCookbook(t)
	recordings := []string{"suspend-resume", "incr-lag-fail-recover", "worker-expiry"}
	paths := map[string]string{
		"suspend-resume":        "../../testdata/rules/recordings/suspend-resume.jsonl",
		"incr-lag-fail-recover": "../../testdata/recordings/incr-lag-fail-recover.jsonl",
		"worker-expiry":         "../../testdata/rules/recordings/worker-expiry.jsonl",
	}
	obs := map[string][]omssim.Observation{}
	for _, name := range recordings {
		o, err := service.ReadRecording(paths[name])
		if err != nil {
			t.Fatal(err)
		}
		obs[name] = o
	}
	for name := range cookbookReplays {
		if _, ok := cb.recipes[name]; !ok {
			t.Errorf("cookbookReplays names recipe %s, which COOKBOOK.md does not have", name)
		}
	}
	for _, name := range cb.order {
		t.Run(name, func(t *testing.T) {
			r := loadRecipe(t, cb.base, cb.recipes[name])
			for _, rec := range recordings {
				out := &conditionLog{}
				if err := service.Replay(t.Context(), r.cfg, r.eng, obs[rec], out); err != nil {
					t.Fatalf("%s: %v", rec, err)
				}
				for _, e := range out.errs {
					t.Errorf("%s: %s", rec, e)
				}
				for _, bad := range out.wrong {
					t.Errorf("%s: %s", rec, bad)
				}
				if rec == "suspend-resume" && !reflect.DeepEqual(out.lines, cookbookReplays[name]) {
					t.Errorf("%s: condition notifications\n%s\nwant\n%s", rec, strings.Join(out.lines, "\n"), strings.Join(cookbookReplays[name], "\n"))
				}
			}
		})
	}
}

// conditionLog hears a replay: the condition events it notifies, as
// "HH:MM firing|resolved RULE SEVERITY [(REASON)] -> TARGET", what they
// get wrong about a FAILED or paused project, and failed expressions.
type conditionLog struct {
	lines, wrong, errs []string
}

func (l *conditionLog) Notifications(ns []sinks.Notification) {
	for _, n := range ns {
		for _, e := range n.Events {
			if !strings.HasPrefix(e.Type, "oms.condition.") {
				continue
			}
			rule, reason := fieldOf(e, "rule"), fieldOf(e, "reason")
			line := fmt.Sprintf("%s %s %s %s", e.Time.UTC().Format("15:04"), strings.TrimPrefix(e.Type, "oms.condition."), rule, e.Severity)
			if reason != "" {
				line += " (" + reason + ")"
			}
			l.lines = append(l.lines, line+" -> "+n.Target)
			status := e.Data.Project.Status
			stopped := status == "FAILED" || status == "SUSPEND"
			switch {
			case e.Type == event.TypeConditionResolved && reason == "recovered" && stopped:
				l.wrong = append(l.wrong, line+": a recovery of a project that is "+status)
			case e.Type == event.TypeConditionFiring && stopped && !strings.HasPrefix(rule, "failed"):
				l.wrong = append(l.wrong, line+": fires on a project that is "+status)
			case e.Type == event.TypeConditionResolved && e.Severity != event.Info:
				l.wrong = append(l.wrong, line+": a resolution is info")
			}
		}
	}
}

func (l *conditionLog) Skipped(time.Time, omssim.Observation, error) {}

func (l *conditionLog) ExpressionError(now time.Time, err error) {
	l.errs = append(l.errs, fmt.Sprintf("%s: expression failed: %v", now.Format(time.RFC3339), err))
}
