package oms

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestRespellRoundTrip(t *testing.T) {
	const cloud = `{"Success":true,"Data":{"Id":"np_1","Steps":[{"Name":"INCR_TRANSFER",
		"StepInfo":{"incrTimestampCheckpoint":1,"Nested":{"KeepMe":1}},
		"ExtraInfo":{"ErrorParam":{"Table":"t1"},"ErrorDetails":[{"Code":"X","MessageMcmsContext":{"Key":"v"}}]}}],
		"ExtraInfo":{"SubDbs":{"Sub1":[{"ClusterName":"c"}]}},
		"AlarmStats":{"RuleToRecentlyTriggerCount":{"Delay":2}}}}`
	const onprem = `{"success":true,"data":{"id":"np_1","steps":[{"name":"INCR_TRANSFER",
		"stepInfo":{"incrTimestampCheckpoint":1,"Nested":{"KeepMe":1}},
		"extraInfo":{"errorParam":{"Table":"t1"},"errorDetails":[{"code":"X","messageMcmsContext":{"Key":"v"}}]}}],
		"extraInfo":{"subDbs":{"Sub1":[{"clusterName":"c"}]}},
		"alarmStats":{"ruleToRecentlyTriggerCount":{"Delay":2}}}}`
	var c, o any
	if err := json.Unmarshal([]byte(cloud), &c); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(onprem), &o); err != nil {
		t.Fatal(err)
	}
	if got := Respell(o, Cloud); !reflect.DeepEqual(got, c) {
		t.Errorf("on-prem respelled to cloud:\n got %v\nwant %v", got, c)
	}
	if got := Respell(c, OnPrem); !reflect.DeepEqual(got, o) {
		t.Errorf("cloud respelled to on-prem:\n got %v\nwant %v", got, o)
	}
}

func TestFreeformKind(t *testing.T) {
	cases := map[string]Freeform{
		"StepInfo": Opaque, "stepInfo": Opaque, "ProposalMcmsContext": Opaque,
		"connExtraAttributes": Opaque, "SubDbs": DataKeyed, "subConds": DataKeyed,
		"Steps": NotFreeform, "ExtraInfo": NotFreeform,
	}
	for k, want := range cases {
		if got := FreeformKind(k); got != want {
			t.Errorf("FreeformKind(%q) = %v, want %v", k, got, want)
		}
	}
}
