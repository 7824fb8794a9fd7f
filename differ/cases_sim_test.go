package differ

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
)

// simCases take consecutive ticks of the simulator's lifecycle templates:
// for each (template, event type) the first pair of ticks whose diff has an
// event of that type.
func simCases(t *testing.T) []goldenCase {
	t.Helper()
	wants := []struct{ template, typ string }{
		{omssim.TemplateMigration, "oms.step.status_changed"},
		{omssim.TemplateMigration, "oms.step.progress_changed"},
		{omssim.TemplateMigration, "oms.project.status_changed"},
		{omssim.TemplateLagFailRecover, "oms.step.error_raised"},
		{omssim.TemplateLagFailRecover, "oms.step.error_cleared"},
		{omssim.TemplateAlarm, "oms.alarm.triggered"},
		{omssim.TemplateAlarm, "oms.alarm.cleared"},
		{omssim.TemplateFullFailResume, "oms.step.error_raised"},
		{omssim.TemplateWorkerExpiry, "oms.worker.expired"},
	}
	var cases []goldenCase
	for _, w := range wants {
		g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 11, Projects: 1, Template: w.template,
			MinTables: 4, MaxTables: 6, Step: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		id := g.IDs()[0]
		data := func(tick int64) []byte {
			d, ok := g.Describe(omssim.Moment{Tick: tick, Elapsed: time.Duration(tick) * time.Minute}, id, omssim.Full)
			if !ok || d.Data == nil {
				t.Fatalf("%s: no project %s at tick %d", w.template, id, tick)
			}
			return indented(t, decode(t, d.Data))
		}
		tick := firstTickWith(t, data, w.typ)
		old, cur := data(tick), data(tick+1)
		name := "sim_" + w.template + "_" + strings.ReplaceAll(w.typ[len("oms."):], ".", "_")
		cases = append(cases, goldenCase{name, constant(old), constant(cur)})
		if w.typ == "oms.step.status_changed" {
			cases = append(cases, goldenCase{"sim_" + w.template + "_spelling_onprem_no_event",
				constant(old), onPrem(constant(old))})
		}
	}
	return cases
}

func constant(b []byte) func(*testing.T) []byte { return func(*testing.T) []byte { return b } }

// firstTickWith finds the first tick whose diff to the next has an event of typ.
func firstTickWith(t *testing.T, data func(int64) []byte, typ string) int64 {
	t.Helper()
	for tick := int64(0); tick < 400; tick++ {
		prev, err := oms.ParseSnapshot(data(tick))
		if err != nil {
			t.Fatal(err)
		}
		cur, err := oms.ParseSnapshot(data(tick + 1))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Diff(prev, cur, Observation{Source: "file://", Time: time.Unix(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(res.Events, func(e event.Event) bool { return e.Type == typ }) {
			return tick
		}
	}
	t.Fatalf("no tick in 400 gives %s", typ)
	return 0
}
