package event

import (
	"encoding/json"
	"testing"
	"time"
)

// Summary says what happened for every type, on one line, the same for an
// event fresh from a producer and one read back from JSON.
func TestSummary(t *testing.T) {
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	const head = "2026-11-24T02:00:00Z "
	for _, tc := range []struct {
		typ    string
		sev    Severity
		fields map[string]any
		want   string
	}{
		{TypeProjectDiscovered, Info, map[string]any{"status": "INIT", "problems": []any{}}, "discovered, status INIT"},
		{TypeProjectDiscovered, Critical, map[string]any{"status": "FAILED", "problems": []any{
			map[string]any{"kind": "step_failed", "step": "FULL_TRANSFER", "text": "step FULL_TRANSFER FAILED"},
			map[string]any{"kind": "error", "step": "FULL_TRANSFER", "code": "OMS-1001", "text": "step FULL_TRANSFER error OMS-1001: disk\nfull, sink"},
			map[string]any{"kind": "alarming", "text": "alarming"}}},
			"discovered, status FAILED; step FULL_TRANSFER FAILED; step FULL_TRANSFER error OMS-1001: disk full, sink; alarming"},
		{TypeProjectStatusChanged, Critical, map[string]any{"from": "RUNNING", "to": "FAILED"}, "status RUNNING -> FAILED"},
		{TypeProjectRemoved, Warning, map[string]any{"last_status": "RELEASED"}, "removed (last status RELEASED)"},
		{TypeProjectMetadataChanged, Info, map[string]any{"fields": []string{"Labels", "Name"}}, "metadata changed: Labels, Name"},
		{TypeStepStatusChanged, Critical, map[string]any{"step": "FULL_TRANSFER", "phase": "full", "from": "RUNNING", "to": "FAILED", "progress": 60},
			"step FULL_TRANSFER (full) RUNNING -> FAILED, 60%"},
		{TypeStepStatusChanged, Info, map[string]any{"step": "INCR_SYNC", "phase": "incr", "from": nil, "to": "INIT", "progress": nil},
			"step INCR_SYNC (incr) none -> INIT"},
		{TypeStepProgressChanged, Info, map[string]any{"step": "FULL_TRANSFER", "phase": "full", "from": 10, "to": 60},
			"step FULL_TRANSFER (full) progress 10% -> 60%"},
		{TypeStepErrorRaised, Critical, map[string]any{"step": "FULL_TRANSFER", "code": "OMS-1001", "message": "disk\nfull  <on sink>"},
			"step FULL_TRANSFER error OMS-1001: disk full <on sink>"},
		{TypeStepErrorCleared, Info, map[string]any{"step": "FULL_TRANSFER", "codes": []any{"OMS-1001", "OMS-1002"}},
			"step FULL_TRANSFER errors cleared (OMS-1001, OMS-1002)"},
		{TypeStepErrorChanged, Info, map[string]any{"step": "FULL_TRANSFER", "cleared": []any{"OMS-1002"}, "changed": []any{}},
			"step FULL_TRANSFER errors changed (cleared OMS-1002)"},
		{TypeStepErrorChanged, Info, map[string]any{"step": "FULL_TRANSFER", "cleared": []string{"A"}, "changed": []string{"B", "C"}},
			"step FULL_TRANSFER errors changed (cleared A; changed B, C)"},
		{TypeAlarmTriggered, Warning, map[string]any{"count": 2, "rules": map[string]any{"oms_sync_delay": 1, "oms_migration_failed": 2}, "content": "delay 61s"},
			"alarm triggered: migration failed (2 new), sync delay (1 new); 2 recent alarms: delay 61s"},
		{TypeAlarmTriggered, Warning, map[string]any{"count": 1, "rules": map[string]any{}, "content": nil}, "alarm triggered; 1 recent alarm"},
		{TypeAlarmCleared, Info, map[string]any{"count": 4}, "alarm cleared"},
		{TypeConfigChanged, Info, map[string]any{"sections": []string{"FullTransferConfig"}}, "configuration changed: FullTransferConfig"},
		{TypeWorkerExpired, Warning, map[string]any{"worker": "g_1", "end_time": "2026-06-01T08:02:00Z"}, "worker g_1 expired at 2026-06-01T08:02:00Z"},
		{TypeProjectChanged, Info, map[string]any{"paths": []string{"/GmtFinish", "/X"}}, "changed: /GmtFinish, /X"},
		{TypeConditionFiring, Warning, map[string]any{"rule": "failed_for_2m", "since": "2026-11-24T09:58:00Z", "value": "FAILED"},
			"condition failed_for_2m firing since 2026-11-24T09:58:00Z, value FAILED"},
		{TypeConditionFiring, Warning, map[string]any{"rule": "r", "since": "s", "value": 3, "repeat": 2}, "condition r firing since s, value 3 (reminder 2)"},
		{TypeConditionResolved, Info, map[string]any{"rule": "incr_delay_high", "since": "2026-11-24T09:58:00Z", "value": "12s"},
			"condition incr_delay_high resolved (held since 2026-11-24T09:58:00Z), value 12s"},
		{TypeConditionResolved, Info, map[string]any{"rule": "incr_delay_high", "since": "2026-11-24T09:58:00Z", "value": "12s",
			"reason": "recovered", "lasted": "14m0s"},
			"condition incr_delay_high resolved after 14m0s (held since 2026-11-24T09:58:00Z), value 12s"},
		{TypeConditionResolved, Info, map[string]any{"rule": "incr_checkpoint_stalled", "since": "2026-11-24T09:58:00Z", "value": "7m0s",
			"reason": "not_applicable", "lasted": "7m0s"},
			"condition incr_checkpoint_stalled no longer applies (project gone) after 7m0s (held since 2026-11-24T09:58:00Z), value 7m0s"},
		{TypePollFailing, Warning, map[string]any{"failures": 3, "error_code": "Throttling.User", "error": "too many requests"},
			"polls failing (3 in a row): Throttling.User too many requests"},
		{TypePollRecovered, Info, map[string]any{"failures": 4}, "polls recovered after 4 failures"},
		{TypeWatchHeartbeat, Info, map[string]any{"every": "5m0s", "projects": 20, "polls": 200, "failed": 1},
			"omswatch is alive: 200 polls succeeded, 1 failed in the last 5m0s; 20 projects watched"},
		{TypeTargetFailing, Warning, map[string]any{"target": "oncall", "since": "2026-11-24T09:58:00Z", "error": "slack: invalid_auth"},
			"target oncall failing since 2026-11-24T09:58:00Z: slack: invalid_auth"},
		{TypeTargetRecovered, Info, map[string]any{"target": "oncall", "since": "2026-11-24T09:58:00Z", "lasted": "12m0s"},
			"target oncall delivers again after 12m0s of failures"},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			e := Event{Type: tc.typ, Subject: "np_1", Time: at, Severity: tc.sev,
				Data: Data{Project: Project{ID: "np_1", Name: "orders\nprod"}, Fields: tc.fields}}
			want := head + pad(tc.sev) + " " + tc.typ + " orders prod (np_1): " + tc.want
			if got := Summary(e); got != want {
				t.Errorf("\n got  %q\n want %q", got, want)
			}
			b, err := e.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var back Event
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if got := Summary(back); got != want {
				t.Errorf("read back from JSON:\n got  %q\n want %q", got, want)
			}
		})
	}
}

func pad(s Severity) string { return string(s) + "        "[:8-len(s)] }

// A type outside the catalog (a newer producer's) still gets its line,
// without the phrase; a project without a name is its id.
func TestSummaryUnknownTypeAndNoName(t *testing.T) {
	e := Event{Type: "oms.future.thing", Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Severity: Info,
		Data: Data{Project: Project{ID: "np_9"}}}
	if got, want := Summary(e), "2026-01-01T00:00:00Z info     oms.future.thing np_9"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
