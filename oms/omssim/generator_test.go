package omssim

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"
)

func TestGeneratorDeterministic(t *testing.T) {
	a := testGenerator(t, GeneratorOptions{Seed: 3, Projects: 25})
	b := testGenerator(t, GeneratorOptions{Seed: 3, Projects: 25})
	other := testGenerator(t, GeneratorOptions{Seed: 4, Projects: 25})
	if !slices.Equal(a.IDs(), b.IDs()) {
		t.Fatal("the same seed gave different ids")
	}
	if slices.Equal(a.IDs(), other.IDs()) {
		t.Fatal("another seed gave the same ids")
	}
	for _, id := range a.IDs() {
		if len(id) != 15 || id[:3] != "np_" {
			t.Errorf("id %q is not np_ + 12 base36 characters", id)
		}
	}
	for _, tick := range []int64{0, 7, 33, 500} {
		m := Moment{Tick: tick}
		for _, id := range a.IDs() {
			da, _ := a.Describe(m, id, Full)
			db, _ := b.Describe(m, id, Full)
			if !bytes.Equal(da.Data, db.Data) {
				t.Fatalf("tick %d %s: the same seed gave different bytes", tick, id)
			}
		}
	}
	// More projects leave the first ones as they were.
	more := testGenerator(t, GeneratorOptions{Seed: 3, Projects: 40})
	if !slices.Equal(more.IDs()[:25], a.IDs()) {
		t.Fatal("adding projects changed the earlier ones")
	}
}

func TestServerAnswersDeterministic(t *testing.T) {
	// Two servers with the same seeds answer the same request sequence with
	// identical bytes, RequestIds included.
	bodies := func() [][]byte {
		g := testGenerator(t, GeneratorOptions{Seed: 8, Projects: 5})
		ts := StartTest(t, Options{Scenario: g, ManualClock: true, Seed: 8})
		ts.Advance(21)
		var out [][]byte
		for _, id := range g.IDs() {
			res, err := onpremCall(t, nil, ts.URL, ActionDescribeProject, `{"id":"`+id+`"}`, DemoUser, DemoPassword)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.body)
		}
		res, _ := onpremCall(t, nil, ts.URL, ActionListProjects, `{"pageSize":150}`, DemoUser, DemoPassword)
		return append(out, res.body)
	}
	first, second := bodies(), bodies()
	for i := range first {
		if !bytes.Equal(first[i], second[i]) {
			t.Fatalf("answer %d differs between identical servers", i)
		}
	}
}

// story tells a template's story tick by tick and returns the documents.
func story(t *testing.T, template string) []projectDoc {
	t.Helper()
	return storyOf(t, GeneratorOptions{Seed: 1, Projects: 1, Template: template, MaxTables: 2})
}

// storyOf tells the story of the first project of a generator.
func storyOf(t *testing.T, o GeneratorOptions) []projectDoc {
	t.Helper()
	g := testGenerator(t, o)
	from, ticks := g.Story()
	if ticks <= 0 {
		t.Fatalf("%s: story of %d ticks", o.Template, ticks)
	}
	var docs []projectDoc
	for tick := int64(0); tick < from+ticks; tick++ {
		d, _ := g.Describe(Moment{Tick: tick}, g.IDs()[0], Full)
		var doc projectDoc
		if err := json.Unmarshal(d.Data, &doc); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	return docs
}

// sequence is the values f takes over the docs, repeats collapsed.
func sequence(docs []projectDoc, f func(projectDoc) string) []string {
	var out []string
	for _, d := range docs {
		if v := f(d); len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

func stepStatus(name string) func(projectDoc) string {
	return func(d projectDoc) string {
		for _, s := range d.Steps {
			if s.Name == name {
				return s.Status
			}
		}
		return "absent"
	}
}

func TestTemplateLifecycles(t *testing.T) {
	projectStatus := func(d projectDoc) string { return d.Status }
	alarming := func(d projectDoc) string { return map[bool]string{true: "on", false: "off"}[d.AlarmStats.Alarming] }
	expired := func(d projectDoc) string {
		return map[bool]string{true: "expired", false: "valid"}[d.WorkerGradeInfo.Expired]
	}
	cases := []struct {
		template string
		what     string
		f        func(projectDoc) string
		want     []string
	}{
		{TemplateMigration, "status", projectStatus, []string{"INIT", "RUNNING", "FINISHED", "RELEASING", "RELEASED"}},
		{TemplateMigration, "TRANSFER_PRECHECK", stepStatus("TRANSFER_PRECHECK"), []string{"INIT", "RUNNING", "FINISHED"}},
		{TemplateMigration, "FULL_TRANSFER", stepStatus("FULL_TRANSFER"), []string{"INIT", "RUNNING", "FINISHED"}},
		{TemplateMigration, "INCR_TRANSFER", stepStatus("INCR_TRANSFER"), []string{"INIT", "RUNNING", "MONITORING", "FINISHED"}},
		{TemplateMigration, "FULL_VERIFIER", stepStatus("FULL_VERIFIER"), []string{"INIT", "RUNNING", "FINISHED"}},
		{TemplateMigration, "TRANSFER_APP_SWITCH", stepStatus("TRANSFER_APP_SWITCH"), []string{"INIT", "RUNNING", "FINISHED"}},
		{TemplateLagFailRecover, "status", projectStatus, []string{"INIT", "RUNNING", "FAILED", "RUNNING"}},
		{TemplateLagFailRecover, "INCR_TRANSFER", stepStatus("INCR_TRANSFER"), []string{"INIT", "RUNNING", "MONITORING", "FAILED", "RUNNING", "MONITORING"}},
		{TemplateAlarm, "alarming", alarming, []string{"off", "on", "off"}},
		{TemplateAlarm, "INCR_SYNC", stepStatus("INCR_SYNC"), []string{"INIT", "RUNNING", "MONITORING"}},
		{TemplateAlarm, "INCR_LOG_PULL", stepStatus("INCR_LOG_PULL"), []string{"INIT", "RUNNING", "MONITORING"}},
		{TemplateFullFailResume, "FULL_TRANSFER", stepStatus("FULL_TRANSFER"), []string{"INIT", "RUNNING", "FAILED", "RUNNING", "FINISHED"}},
		{TemplateWorkerExpiry, "expired", expired, []string{"valid", "expired"}},
		{TemplateWorkerExpiry, "status", projectStatus, []string{"INIT", "RUNNING", "SUSPEND"}},
		{TemplateSuspendResume, "status", projectStatus, []string{"INIT", "RUNNING", "FAILED", "RUNNING", "SUSPEND", "RUNNING"}},
		{TemplateSuspendResume, "INCR_TRANSFER", stepStatus("INCR_TRANSFER"),
			[]string{"INIT", "RUNNING", "MONITORING", "FAILED", "RUNNING", "MONITORING", "SUSPEND", "RUNNING", "MONITORING"}},
	}
	for _, tc := range cases {
		t.Run(tc.template+"/"+tc.what, func(t *testing.T) {
			if got := sequence(story(t, tc.template), tc.f); !slices.Equal(got, tc.want) {
				t.Fatalf("went through %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSuspendResumeCheckpoint: while the project is paused its incremental
// checkpoint stands still and the lag grows a tick a tick; after the
// resume the checkpoint moves again and the lag falls back. A tick is a
// minute, as in the recording: lags under 10 s wobble.
func TestSuspendResumeCheckpoint(t *testing.T) {
	docs := storyOf(t, GeneratorOptions{Seed: 1, Projects: 1, Template: TemplateSuspendResume, MaxTables: 2, Step: time.Minute})
	var paused []projectDoc
	var after *projectDoc
	for i, d := range docs {
		switch {
		case d.Status == stSuspend:
			paused = append(paused, d)
		case len(paused) > 0 && after == nil:
			after = &docs[i]
		}
	}
	if len(paused) < 3 || after == nil {
		t.Fatalf("%d paused ticks, resumed %v", len(paused), after != nil)
	}
	frozen := *paused[1].ExtraInfo.IncrSyncTimestamp
	for i, d := range paused[1:] {
		if *d.ExtraInfo.IncrSyncTimestamp != frozen {
			t.Errorf("paused tick %d: checkpoint %d, want it frozen at %d", i+1, *d.ExtraInfo.IncrSyncTimestamp, frozen)
		}
	}
	last := paused[len(paused)-1]
	if *last.ExtraInfo.SyncDelay <= *paused[1].ExtraInfo.SyncDelay {
		t.Errorf("the lag did not grow while paused: %d then %d", *paused[1].ExtraInfo.SyncDelay, *last.ExtraInfo.SyncDelay)
	}
	end := docs[len(docs)-1]
	if *end.ExtraInfo.IncrSyncTimestamp <= frozen || *end.ExtraInfo.SyncDelay >= 10 {
		t.Errorf("after the resume: checkpoint %d (frozen at %d), lag %d", *end.ExtraInfo.IncrSyncTimestamp, frozen, *end.ExtraInfo.SyncDelay)
	}
}

func TestLagFailRecoverDetails(t *testing.T) {
	docs := story(t, TemplateLagFailRecover)
	var maxDelay int64
	var sawError bool
	var lastCheckpoint int64
	for i, d := range docs {
		if d.ExtraInfo.SyncDelay != nil {
			maxDelay = max(maxDelay, *d.ExtraInfo.SyncDelay)
		}
		incr := d.Steps[len(d.Steps)-1]
		switch incr.Status {
		case "FAILED":
			sawError = true
			ed := incr.ExtraInfo.ErrorDetails
			if len(ed) != 1 || ed[0].Code == "" || ed[0].Message == "" || incr.ExtraInfo.ErrorCode == nil || incr.ExtraInfo.FailedTime == nil {
				t.Fatalf("tick %d: failed step without its error: %+v", i, incr.ExtraInfo)
			}
			// The checkpoint stands still while the step is failed.
			if cp := *d.ExtraInfo.IncrSyncTimestamp; lastCheckpoint != 0 && docs[i-1].Steps[len(d.Steps)-1].Status == "FAILED" && cp != lastCheckpoint {
				t.Fatalf("tick %d: checkpoint moved from %d to %d while failed", i, lastCheckpoint, cp)
			}
			lastCheckpoint = *d.ExtraInfo.IncrSyncTimestamp
		case "MONITORING", "RUNNING":
			if len(incr.ExtraInfo.ErrorDetails) != 0 || incr.ExtraInfo.ErrorCode != nil {
				t.Fatalf("tick %d: %s step keeps an error", i, incr.Status)
			}
			if sp := incr.StepInfo["checkpointSampleTimestamp"]; sp == nil {
				t.Fatalf("tick %d: INCR_TRANSFER StepInfo lacks checkpointSampleTimestamp", i)
			}
		}
	}
	if !sawError || maxDelay < 600 {
		t.Fatalf("error seen %v, max delay %d s: want a failure and a lag of at least 600 s", sawError, maxDelay)
	}
	last := docs[len(docs)-1]
	if last.AlarmStats.RecentlyTriggerCount == 0 && last.Importance != "IGNORE" {
		t.Log("alarm counts aged out by the end of the story") // informative only
	}
}

func TestMigrationProgressRises(t *testing.T) {
	docs := story(t, TemplateMigration)
	prev := float64(-1)
	for i, d := range docs {
		for _, s := range d.Steps {
			if s.Name != "FULL_TRANSFER" || s.Status == "INIT" {
				continue
			}
			pr := s.StepInfo["processedRecords"].(float64)
			if pr < prev || s.StepInfo["capacity"] == nil {
				t.Fatalf("tick %d: processedRecords fell from %v to %v", i, prev, pr)
			}
			prev = pr
		}
	}
	if prev != docs[0].Steps[2].StepInfo["capacity"] && prev <= 0 {
		t.Fatalf("full transfer ended at %v records", prev)
	}
}

func TestAlarmCountsRiseAndClear(t *testing.T) {
	docs := story(t, TemplateAlarm)
	var peak int
	for _, d := range docs {
		peak = max(peak, d.AlarmStats.RecentlyTriggerCount)
	}
	last := docs[len(docs)-1].AlarmStats
	if peak < 2 || last.RecentlyTriggerCount != 0 || last.Alarming {
		t.Fatalf("peak count %d, final %+v: want a rise to 2+ and a clear to 0", peak, last)
	}
	if rules := docs[len(docs)/2].AlarmStats.RuleToRecentlyTriggerCount; len(rules) != 2 {
		t.Fatalf("rules %v, want the sync failed and delay rules", rules)
	}
}

func TestGeneratorMix(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 1, Projects: 60})
	seen := map[string]bool{}
	for _, id := range g.IDs() {
		d, _ := g.Describe(Moment{Tick: 20}, id, Related)
		var doc projectDoc
		if err := json.Unmarshal(d.Data, &doc); err != nil {
			t.Fatal(err)
		}
		seen["type "+doc.Type] = true
		seen["source "+doc.SourceEndpointType] = true
		seen["importance "+doc.Importance] = true
		seen["first step "+doc.Steps[0].Name] = true
		seen["status "+doc.Status] = true
	}
	for _, want := range []string{"type MIGRATION", "type SYNC", "source MYSQL", "source ORACLE", "source OB_MYSQL",
		"first step PRE_CHECK", "first step TRANSFER_PRECHECK", "importance HIGH", "importance IGNORE",
		"status INIT", "status RUNNING", "status FAILED"} {
		if !seen[want] {
			t.Errorf("no project with %s at tick 20", want)
		}
	}
}

func TestBigProjectSize(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 1, Projects: 2, BigTables: 5000})
	full, _ := g.Describe(Moment{Tick: 10}, g.IDs()[0], Full)
	related, _ := g.Describe(Moment{Tick: 10}, g.IDs()[0], Related)
	if n := len(full.Data); n < 800_000 || n > 1_600_000 {
		t.Fatalf("a 5,000-table DescribeProject is %d bytes, want about 1 MB", n)
	}
	if n := len(related.Data); n > 20_000 {
		t.Fatalf("its ListProjects item is %d bytes: TransferMapping leaked in", n)
	}
	var doc projectDoc
	if err := json.Unmarshal(full.Data, &doc); err != nil {
		t.Fatal(err)
	}
	var tables int
	for _, db := range doc.TransferMapping.Databases {
		tables += len(db.Tables)
	}
	if tables != 5000 {
		t.Fatalf("%d tables in TransferMapping, want 5000", tables)
	}
}

func TestGeneratedShapeMatchesSeed(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "oms", "seed_describeproject.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seed map[string]any
	if err := json.Unmarshal(raw, &seed); err != nil {
		t.Fatal(err)
	}
	g := testGenerator(t, GeneratorOptions{Seed: 1, Projects: 1, Template: TemplateLagFailRecover, MinTables: 12, MaxTables: 12})
	for tick := range int64(60) { // a failed tick: ErrorDetails filled
		d, _ := g.Describe(Moment{Tick: tick}, g.IDs()[0], Full)
		var doc map[string]any
		if err := json.Unmarshal(d.Data, &doc); err != nil {
			t.Fatal(err)
		}
		if doc["Status"] == "FAILED" {
			sameShape(t, "Data", seed["Data"], doc)
			return
		}
	}
	t.Fatal("the story never failed")
}

// sameShape checks that got has exactly want's field names, recursively,
// skipping free-form maps and values the generator leaves null.
func sameShape(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			if got != nil {
				t.Errorf("%s: %T, want an object", path, got)
			}
			return
		}
		if wk, gk := keys(w), keys(g); !slices.Equal(wk, gk) {
			t.Errorf("%s: fields %v, want %v", path, gk, wk)
		}
		for k, v := range w {
			switch k {
			case "StepInfo", "ErrorParam", "ExtraContext", "MessageMcmsContext", "ReasonMcmsContext",
				"ProposalMcmsContext", "RuleToRecentlyTriggerCount", "ConnExtraAttributes", "SubDbs", "SubConds", "SubIds":
				continue
			}
			sameShape(t, path+"."+k, v, g[k])
		}
	case []any:
		g, _ := got.([]any)
		if len(w) > 0 && len(g) > 0 {
			sameShape(t, path+"[0]", w[0], g[0])
		}
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
