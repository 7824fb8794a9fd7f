package slack_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks/slack"
)

// incEvent is an event of incident inc-0001 of project np_1.
func incEvent(typ, state string, sev event.Severity, seq int, at time.Duration, extra map[string]any) event.Event {
	e := ev("np_1", "orders <prod>", typ, sev, seq, map[string]any{"incident": "inc-0001", "cause": "step:INCR_TRANSFER",
		"title": "step INCR_TRANSFER failing: CM-RESO0207", "state": state, "started": "2026-11-24T10:00:00Z",
		"events": []any{}, "error": map[string]any{"code": "CM-RESO0207", "message": "binlog <gone>",
			"reason": "the source purged its binlog", "proposal": "restart the step from a new checkpoint"},
		"runbook": "https://wiki.example.com/oms/binlog"})
	e.Time = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC).Add(at)
	for k, v := range extra {
		e.Data.Fields[k] = v
	}
	return e
}

// An incident has one parent message, posted when it opens and edited in
// place through its life (red, then blue when taken, then green with
// "resolved after 42 min"), and its events as replies in its thread; the
// project's status card thread is not used for it.
func TestIncidentParentFollowsTheIncident(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	s := newSink(t, f, clock, &slack.MemThreads{}, slack.Target{Channel: "#oms-alerts"})
	stepFailed := []any{map[string]any{"id": "x", "type": event.TypeStepStatusChanged, "severity": "critical",
		"what": "step INCR_TRANSFER (incr) RUNNING -> FAILED"}}
	steps := []event.Event{
		incEvent(event.TypeIncidentOpened, "firing", event.Critical, 1, 0, map[string]any{"events": stepFailed, "eta": "catching up, ETA 35 min"}),
		incEvent(event.TypeIncidentAcknowledged, "acknowledged", event.Info, 2, 5*time.Minute,
			map[string]any{"by": "alice", "comment": "on it", "acked_by": "alice"}),
		incEvent(event.TypeIncidentResolved, "resolved", event.Info, 3, 42*time.Minute,
			map[string]any{"lasted": "42m0s", "reason": "cleared", "acked_by": "alice"}),
	}
	for _, e := range steps {
		if err := s.Send(t.Context(), notify(e)); err != nil {
			t.Fatal(err)
		}
	}
	posts, edits := f.requests("chat.postMessage"), f.requests("chat.update")
	if len(posts) != 4 || len(edits) != 2 {
		t.Fatalf("%d posts, %d edits; want the parent and 3 replies, 2 edits", len(posts), len(edits))
	}
	parent, parentTS := posts[0], posts[1].ThreadTS
	if parentTS == "" || parent.ThreadTS != "" {
		t.Fatalf("the parent %+v is not the first post of a thread", parent)
	}
	for _, want := range []string{"#E01E5A", "FIRING", "critical", "orders &lt;prod&gt;", "CM-RESO0207", "binlog &lt;gone&gt;",
		"*Reason:* the source purged its binlog", "*Proposal:* restart the step", "<https://wiki.example.com/oms/binlog>",
		"omswatch incident ack inc-0001 --by NAME", "https://oms.example.com/project/np_1", "*Catch-up*\\ncatching up, ETA 35 min"} {
		if !strings.Contains(parent.Attachments, want) {
			t.Errorf("the parent lacks %q:\n%s", want, parent.Attachments)
		}
	}
	for i, want := range []string{"Incident opened: *step INCR_TRANSFER failing: CM-RESO0207*\n:red_circle: step INCR_TRANSFER (incr) RUNNING -&gt; FAILED",
		"Acknowledged by *alice*: on it", "Resolved after 42 min: the problem stayed away"} {
		r := posts[i+1]
		if r.ThreadTS != parentTS || !strings.Contains(r.Text, want) {
			t.Errorf("reply %d in %q: %q, want %q", i, r.ThreadTS, r.Text, want)
		}
	}
	for i, want := range []string{"#1D9BD1", "#2EB67D"} {
		if edits[i].TS != parentTS || !strings.Contains(edits[i].Attachments, want) {
			t.Errorf("edit %d of %s: %s", i, edits[i].TS, edits[i].Attachments)
		}
	}
	if last := edits[1]; !strings.Contains(last.Attachments, "resolved after 42 min") || !strings.Contains(last.Text, "RESOLVED after 42 min") {
		t.Errorf("the resolved parent: %s / %s", last.Text, last.Attachments)
	}
}

// Edits are coalesced: the updates one notification brings make one
// edit, and edits of one message are at least a second apart however fast
// updates come; the final state is always the last edit.
func TestIncidentEditsAreCoalesced(t *testing.T) {
	for _, tc := range []struct {
		name           string
		batches        [][]int // durations (min) of updated events, per notification
		edits, replies int
	}{
		{"one notification of five updates", [][]int{{1, 2, 3, 4, 5}}, 1, 5},
		{"five notifications at once", [][]int{{1}, {2}, {3}, {4}, {5}}, 5, 5},
		{"an unchanged card is not edited", [][]int{{0}}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeSlack(t, clock)
			s := newSink(t, f, clock, &slack.MemThreads{}, slack.Target{Channel: "#oms-alerts"})
			if err := s.Send(t.Context(), notify(incEvent(event.TypeIncidentOpened, "firing", event.Warning, 0, 0, nil))); err != nil {
				t.Fatal(err)
			}
			seq := 1
			for _, batch := range tc.batches {
				var n []event.Event
				for _, m := range batch {
					n = append(n, incEvent(event.TypeIncidentUpdated, "firing", event.Critical, seq, time.Duration(m)*time.Minute,
						map[string]any{"events": []any{map[string]any{"what": fmt.Sprint("update ", seq)}}}))
					seq++
				}
				if tc.name == "an unchanged card is not edited" {
					n[0].Severity = event.Warning
				}
				if err := s.Send(t.Context(), notify(n...)); err != nil {
					t.Fatal(err)
				}
			}
			edits := f.requests("chat.update")
			if len(edits) != tc.edits || len(f.requests("chat.postMessage")) != tc.replies+2 {
				t.Fatalf("%d edits, %d posts", len(edits), len(f.requests("chat.postMessage")))
			}
			for i := 1; i < len(edits); i++ {
				if gap := edits[i].At.Sub(edits[i-1].At); gap < time.Second {
					t.Errorf("edits %d and %d are %s apart", i-1, i, gap)
				}
			}
			if len(edits) > 0 && !strings.Contains(edits[len(edits)-1].Attachments, "open for 5 min") {
				t.Errorf("the last edit is not the final state: %s", edits[len(edits)-1].Attachments)
			}
		})
	}
}

// A fleet incident has one parent for all its projects, listing them,
// that turns green only when every one has resolved; each project's
// events are replies in its thread, named.
func TestFleetIncidentHasOneParent(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	s := newSink(t, f, clock, &slack.MemThreads{}, slack.Target{Channel: "#oms-alerts"})
	states := map[string]string{}
	member := func(project, typ, state string, at time.Duration) event.Event {
		states[project] = state
		var ps []any
		for _, p := range []string{"np_1", "np_2", "np_3"} {
			if st, ok := states[p]; ok {
				ps = append(ps, map[string]any{"id": p, "name": "orders " + p, "incident": "inc-" + p, "state": st, "severity": "critical"})
			}
		}
		e := incEvent(typ, state, event.Critical, len(states)*10+int(at/time.Minute), at, map[string]any{"incident": "inc-" + project,
			"fleet": "fleet-0001", "fleet_title": fmt.Sprintf("error CM-RESO0207 on %d projects", len(ps)),
			"fleet_started": "2026-11-24T10:00:00Z", "projects": ps})
		e.Subject, e.Data.Project.ID, e.Data.Project.Name = project, project, "orders "+project
		return e
	}
	for _, e := range []event.Event{
		member("np_1", event.TypeIncidentOpened, "firing", 0),
		member("np_2", event.TypeIncidentOpened, "firing", 30*time.Second),
		member("np_3", event.TypeIncidentOpened, "firing", time.Minute),
		member("np_1", event.TypeIncidentResolved, "resolved", 10*time.Minute),
		member("np_2", event.TypeIncidentResolved, "resolved", 11*time.Minute),
		member("np_3", event.TypeIncidentResolved, "resolved", 12*time.Minute),
	} {
		if err := s.Send(t.Context(), notify(e)); err != nil {
			t.Fatal(err)
		}
	}
	posts, edits := f.requests("chat.postMessage"), f.requests("chat.update")
	parents := 0
	for i, p := range posts {
		if p.ThreadTS == "" {
			parents++
		} else if i > 1 && !strings.HasPrefix(p.Text, "*orders np_") { // the first, alone, needs no name
			t.Errorf("a reply does not name its project: %q", p.Text)
		}
	}
	if parents != 1 || len(posts) != 7 {
		t.Fatalf("%d parents, %d posts; want 1 parent and 6 replies", parents, len(posts))
	}
	for i, want := range []string{"2 firing, 0 recovered", "3 firing, 0 recovered", "2 firing, 1 recovered", "1 firing, 2 recovered", "RESOLVED"} {
		if i >= len(edits) || !strings.Contains(edits[i].Attachments, want) {
			t.Errorf("edit %d lacks %q", i, want)
		}
	}
	if last := edits[len(edits)-1]; !strings.Contains(last.Attachments, "#2EB67D") || !strings.Contains(last.Attachments, "resolved after 12 min") {
		t.Errorf("the last edit: %s", last.Attachments)
	}
}
