package oms

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

func TestProjectFromSeed(t *testing.T) {
	s := mustParse(t, readFile(t, "../testdata/oms/seed_describeproject.json"))
	p := s.Project()
	utc := func(v string) time.Time {
		tm, err := time.Parse("2006-01-02T15:04:05", v)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	want := Project{
		ID: "np_fe****", Name: "test", Type: "SYNC", Status: "RUNNING", Importance: "HIGH", Owner: "omsefry***",
		Labels: []Label{{ID: "l_dr****", Name: "test_tag"}},
		Steps: []Step{{
			Name: "PRE_CHECK", Key: "PRE_CHECK", Phase: PhasePrecheck, Order: 1, Status: "RUNNING", Progress: 90,
			Description: "预检查", StartTime: utc("2020-05-22T17:04:18"), FinishTime: utc("2020-05-22T17:04:18"),
			Errors: []StepError{
				{Code: "CM-RESOAT1111", Level: "ERROR", Message: "A system error occurred.", Proposal: "Contact the administrator."},
				{Code: "INNER_ERROR", Message: "A system error occurred."},
			},
			Info: map[string]any{"test": "test", "test2": int64(1)},
		}},
		SyncDelay: 0, SyncDelayKnown: true,
		SyncDelaySampledAt: time.Unix(1689214358, 0).UTC(), IncrCheckpoint: time.Unix(1689244596, 0).UTC(),
		Alarm:      AlarmStats{Rules: map[string]int{"key": 0}, OpenMonitor: true},
		Worker:     Worker{ID: "g_i4wa7***", Name: "i5fuij***", Grade: "OMS_G2_MIGRATION_LARGE", EndTime: utc("2024-02-02T16:00:00")},
		SourceType: "OB_MYSQL", SinkType: "MYSQL",
		Created: utc("2023-07-13T06:26:15"), Modified: utc("2023-07-13T06:26:15"),
		Started: utc("2023-07-13T07:02:27"), Finished: utc("2023-07-13T07:02:27"),
		runningStep: "PRE-CHECK",
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Project() =\n%+v\nwant\n%+v", p, want)
	}
	if st, ok := p.Step("pre-check"); !ok || st.Name != "PRE_CHECK" {
		t.Errorf("Step(pre-check) = %+v, %v", st, ok)
	}
	if _, ok := p.Step("FULL_TRANSFER"); ok {
		t.Error("Step(FULL_TRANSFER) found a step the seed does not have")
	}
	if got := p.RunningStep().Name; got != "PRE_CHECK" {
		t.Errorf("RunningStep = %q", got)
	}
	if p.Failed() {
		t.Error("Failed() = true for a RUNNING project")
	}
	if got := p.LabelNames(); !reflect.DeepEqual(got, []string{"test_tag"}) {
		t.Errorf("LabelNames = %v", got)
	}
}

// A snapshot's Project is built once and shared by its callers; what a
// caller does to its view never reaches the snapshot's tree or JSON.
func TestProjectIsBuiltOnceAndLeavesTheSnapshot(t *testing.T) {
	s := mustParse(t, readFile(t, "../testdata/oms/seed_describeproject.json"))
	before := bytes.Clone(s.JSON())
	p := s.Project()
	if again := s.Project(); &again.Steps[0] != &p.Steps[0] {
		t.Error("the view was built again")
	}
	p.Steps[0].Info["test"] = "changed"
	p.Alarm.Rules["key"] = 7
	p.Labels[0].Name = "changed"
	p.Steps[0].Errors[0].Code = "changed"
	if !bytes.Equal(before, s.JSON()) {
		t.Error("snapshot JSON changed")
	}
	fresh, err := ParseSnapshot(s.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fresh.Tree(), s.Tree()) {
		t.Error("changing a view changed the snapshot's tree")
	}
	if got := append(p.Steps, Step{Name: "x"}); &got[0] == &p.Steps[0] {
		t.Error("an append to the shared steps wrote into them")
	}
}

// TestProjectLenient reads an on-premise document with numbers as strings,
// fields of the wrong type, no IncrSyncTimestamp and several steps.
func TestProjectLenient(t *testing.T) {
	body := []byte(`{"success":true,"data":{
		"id":"np_2","name":"orders","status":"RUNNING","importance":"LOW",
		"labels":[{"id":"l_2","name":"zeta"},{"id":"l_1","name":"alpha"}],
		"gmtCreate":"2024-03-01 10:00:00","gmtModified":1709287200,"gmtStart":"garbage","gmtFinish":{"x":1},
		"extraInfo":{"syncDelay":"12","syncDelaySampleTimestamp":"1709287260000","runningStep":"INCR-TRANSFER"},
		"alarmStats":{"alarming":"true","recentlyTriggerCount":"3","ruleToRecentlyTriggerCount":{"delay":"2","x":"y"},
			"alarmContent":" delay too high \n","openMonitor":1},
		"workerGradeId":"g_1","workerGradeInfo":{"expired":true,"endTime":"2024-04-01T00:00:00Z"},
		"steps":[
			{"order":"4","name":"INCR-TRANSFER","status":"MONITORING","progress":"100",
			 "stepInfo":{"incrTimestampCheckpoint":"1709287250","checkpointSampleTimestamp":1709287260}},
			{"order":2,"name":"FULL_TRANSFER","status":"FAILED","progress":"ninety",
			 "extraInfo":{"errorDetails":[{"code":"E1","message":"boom","level":"ERROR"}],"errorCode":"E1","errorMsg":"boom"}},
			{"order":1,"name":"TRANSFER_PRECHECK","status":"FINISHED","progress":100.0},
			{"order":2,"name":"STRUCT_TRANSFER","status":"FINISHED","extraInfo":{"errorCode":"OLD","errorMsg":""}}
		]}}`)
	p := mustParse(t, body).Project()
	var names []string
	for _, s := range p.Steps {
		names = append(names, s.Name)
	}
	if want := []string{"TRANSFER_PRECHECK", "FULL_TRANSFER", "STRUCT_TRANSFER", "INCR-TRANSFER"}; !reflect.DeepEqual(names, want) {
		t.Errorf("steps in order = %v, want %v", names, want)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"labels sorted by name", p.LabelNames(), []string{"alpha", "zeta"}},
		{"sync delay", p.SyncDelay, 12 * time.Second},
		{"sync delay known", p.SyncDelayKnown, true},
		{"sampled at (milliseconds)", p.SyncDelaySampledAt, time.Unix(1709287260, 0).UTC()},
		{"checkpoint from INCR_TRANSFER step info", p.IncrCheckpoint, time.Unix(1709287250, 0).UTC()},
		{"created with a space", p.Created, time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)},
		{"modified as unix seconds", p.Modified, time.Unix(1709287200, 0).UTC()},
		{"garbage time", p.Started.IsZero() && p.Finished.IsZero(), true},
		{"alarm", p.Alarm, AlarmStats{Alarming: true, RecentlyTriggerCount: 3, Rules: map[string]int{"delay": 2, "x": 0},
			Content: "delay too high", OpenMonitor: true}},
		{"worker id from WorkerGradeId", p.Worker, Worker{ID: "g_1", Expired: true, EndTime: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)}},
		{"progress as string", p.Steps[3].Progress, 100},
		{"progress garbage", p.Steps[1].Progress, 0},
		{"progress as float", p.Steps[0].Progress, 100},
		{"old-style error same as a detail is not repeated", p.Steps[1].Errors, []StepError{{Code: "E1", Level: "ERROR", Message: "boom"}}},
		{"old-style error alone", p.Steps[2].Errors, []StepError{{Code: "OLD"}}},
		{"failed", p.Failed(), true},
		{"running step falls back to ExtraInfo.RunningStep", p.RunningStep().Name, "INCR-TRANSFER"},
		{"steps in phase", len(p.StepsIn(PhaseFull)), 1},
		{"info numbers", p.Steps[3].Info["checkpointSampleTimestamp"], int64(1709287260)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestProjectEmpty(t *testing.T) {
	p := mustParse(t, []byte(`{"Id":"np_3","Steps":"not steps","AlarmStats":[1],"ExtraInfo":{"SyncDelay":"n/a"}}`)).Project()
	if p.ID != "np_3" || len(p.Steps) != 0 || p.SyncDelayKnown || p.RunningStep().Name != "" || p.Failed() {
		t.Errorf("Project() of a sparse document = %+v", p)
	}
	if got := p.LabelNames(); got == nil || len(got) != 0 {
		t.Errorf("LabelNames = %#v, want empty and non-nil", got)
	}
}
