package incident

import (
	"path"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
)

// The shipped table is well-formed: every glob valid, every entry with a
// text, no glob twice, and none hidden by an earlier one (a literal match
// finds its own entry).
func TestShippedRunbooksWellFormed(t *testing.T) {
	shipped := Shipped()
	if len(shipped) < 30 {
		t.Fatalf("%d shipped runbooks", len(shipped))
	}
	rb := NewRunbooks(nil, true)
	seen := map[string]bool{}
	for i, r := range shipped {
		if _, err := path.Match(r.Match, ""); err != nil || r.Match == "" {
			t.Errorf("entry %d: glob %q: %v", i, r.Match, err)
		}
		if strings.TrimSpace(r.Text) == "" || len(r.Text) > 500 {
			t.Errorf("entry %d (%s): text of %d bytes; want a short one", i, r.Match, len(r.Text))
		}
		if seen[r.Match] {
			t.Errorf("entry %d: %s twice", i, r.Match)
		}
		seen[r.Match] = true
		if !strings.ContainsAny(r.Match, "*?[") {
			if got := rb.For(r.Match); got != r.Text {
				t.Errorf("entry %d (%s) is hidden by an earlier one: %q", i, r.Match, got)
			}
		}
	}
}

// What the field reference names gets the runbook that speaks of it; the
// user's entries come first, and without the shipped ones only theirs
// apply.
func TestRunbookMatching(t *testing.T) {
	user := []Runbook{{Match: "CM-RESO*", Text: "https://wiki.example.com/oms/reso"}, {Match: "oms.worker.expired", Text: "renew"}}
	rb := NewRunbooks(user, true)
	for _, tc := range []struct {
		keys []string
		want string // a piece of the text
	}{
		{[]string{"Throttling.User", "poll"}, "throttles"},
		{[]string{"InvalidAccessKeyId.NotFound", "poll"}, "AccessKey"},
		{[]string{"SignatureDoesNotMatch", "poll"}, "signature"},
		{[]string{"Forbidden.RAM", "poll"}, "RAM"},
		{[]string{"IllegalTimestamp", "poll"}, "clock"},
		{[]string{"ServiceUnavailable", "poll"}, "retries"},
		{[]string{"INNER_ERROR", "step:FULL_TRANSFER"}, "inner service"},
		{[]string{"CM-SCHEMA0001", "step:STRUCT_TRANSFER"}, "Proposal"},
		{[]string{"CM-RESOINCR0207", "step:INCR_TRANSFER"}, "https://wiki.example.com/oms/reso"},
		{[]string{"oms_sync_delay"}, "Store checkpoint"},
		{[]string{"oms_migration_failed"}, "FAILED step"},
		{[]string{"condition:incr_delay_high"}, "JDBCWriter"},
		{[]string{"condition:incr_checkpoint_stalled"}, "does not move"},
		{[]string{"step:FULL_VERIFIER"}, "correction SQL"},
		{[]string{"step:INCR_VERIFIER"}, "correction SQL"},
		{[]string{"step:INCR_TRANSFER"}, "Incremental sync failed"},
		{[]string{"step:TRANSFER_INCR_LOG_PULL"}, "Store (incremental log pull)"},
		{[]string{"oms.worker.expired"}, "renew"},
		{[]string{"oms.step.progress_changed"}, ""},
	} {
		got := rb.For(tc.keys...)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%v: %q, want one with %q", tc.keys, got, tc.want)
		}
	}
	if got := NewRunbooks(user, false).For("Throttling", "poll"); got != "" {
		t.Errorf("without the shipped runbooks: %q", got)
	}
	if !NewRunbooks(nil, false).IsZero() {
		t.Error("no entries is zero")
	}
}

// Events get the runbook of the problem they report; progress and
// incident events (which carry their own) get none.
func TestEventRunbooks(t *testing.T) {
	rb := NewRunbooks([]Runbook{{Match: "oms.worker.*", Text: "renew it"}}, true)
	mk := func(typ string, kv ...any) *event.Event {
		f := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i].(string)] = kv[i+1]
		}
		return &event.Event{Type: typ, Data: event.Data{Fields: f}}
	}
	for _, tc := range []struct {
		e    *event.Event
		want string
	}{
		{mk(event.TypeStepErrorRaised, "step", "INCR_TRANSFER", "code", "CM-RESOINCR0207"), "Proposal"},
		{mk(event.TypeStepStatusChanged, "step", "FULL_TRANSFER", "from", "RUNNING", "to", "FAILED"), "Full migration failed"},
		{mk(event.TypeStepStatusChanged, "step", "FULL_TRANSFER", "from", "RUNNING", "to", "FINISHED"), ""},
		{mk(event.TypeConditionFiring, "rule", "incr_delay_high"), "Store checkpoint"},
		{mk(event.TypeConditionResolved, "rule", "incr_delay_high"), ""},
		{mk(event.TypePollFailing, "error_code", "Throttling.Api"), "throttles"},
		{mk(event.TypeAlarmTriggered, "rules", map[string]any{"oms_sync_delay": 2}), "Store checkpoint"},
		{mk(event.TypeWorkerExpired), "renew it"},
		{mk(event.TypeStepProgressChanged, "step", "INCR_TRANSFER"), ""},
		{mk(event.TypeIncidentOpened, "cause", "step:INCR_TRANSFER"), ""},
	} {
		got := rb.Event(tc.e)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s %v: %q, want one with %q", tc.e.Type, tc.e.Data.Fields, got, tc.want)
		}
	}
}
