package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// recording is a delay every 2 minutes for n polls: start seconds, then
// perMin seconds more each minute.
func recording(start, perMin float64, n int) []obs {
	out := make([]obs, n)
	for i := range out {
		out[i] = delay(float64(2*i), int(start+perMin*float64(2*i)))
	}
	return out
}

// TestIncrETA: project.Incr.ETA in when expressions and values, on
// recordings of known trends (a linear catch-up, a growing lag, a
// plateau), with the delays carried in the State through JSON as the
// key-value store does (a restart in between reads them back). The ETA is
// within 20% of the truth.
func TestIncrETA(t *testing.T) {
	cfg := Config{
		Conditions: []Condition{
			{Name: "falling_behind", Expr: x(`project.Incr.ETA.Trend == "falling_behind"`), Value: x(`project.Incr.ETA.String()`)},
			{Name: "slow_catch_up", Expr: x(`project.Incr.ETA.Trend == "catching_up" && project.Incr.ETA.Remaining > duration("20m")`),
				Value: x(`project.Incr.ETA.Remaining`)},
			{Name: "stalled", Expr: x(`project.Incr.ETA.Trend == "stalled" && project.Incr.ETA.Delay > duration("1m")`)},
		},
		Routes: []Route{{Name: "behind", When: x(`project.Incr.ETA.Rate > 0`), To: []string{"oncall"}}},
	}
	e := mustEngine(t, cfg)
	for _, tc := range []struct {
		name   string
		polls  []obs
		rule   string
		trend  string
		truth  time.Duration // time to catch up after the last poll, when catching up
		text   string
		routed bool
	}{
		// 45 min behind, one minute less each minute: caught up 45 min
		// after the first poll, 27 after the last (at minute 18).
		{"linear catch-up", recording(2700, -60, 10), "slow_catch_up", oms.CatchingUp, 27 * time.Minute, "catching up, ETA 27 min", false},
		{"growing lag", recording(120, 3, 10), "falling_behind", oms.FallingBehind, 0, "falling behind by 3 s/min", true},
		{"plateau", recording(300, 0, 10), "stalled", oms.Stalled, 0, "stalled at 5m0s behind", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st State
			var prev *oms.Snapshot
			var last Outcome
			var fired []string
			for _, o := range tc.polls {
				cur := snapshot(t, o.p)
				ev := event.Event{ID: "e", Source: "oms://cn-hangzhou", Type: event.TypeStepProgressChanged, Subject: "np_1",
					Severity: event.Info, Data: event.Data{Project: event.Project{ID: "np_1"}, Fields: map[string]any{"step": "INCR_TRANSFER"}}}
				res, err := e.Evaluate(Poll{Source: "oms://cn-hangzhou", Prev: prev, Cur: cur, State: st,
					Now: t0.Add(time.Duration(o.min * float64(time.Minute))), Events: []event.Event{ev}})
				if err != nil {
					t.Fatal(err)
				}
				for _, err := range res.Errors {
					t.Errorf("evaluation error: %v", err)
				}
				for _, ev := range res.Events {
					if ev.Type == event.TypeConditionFiring {
						fired = append(fired, ev.Data.Fields["rule"].(string))
					}
				}
				st, prev, last = roundTrip(t, res.State), cur, res
			}
			if len(fired) != 1 || fired[0] != tc.rule {
				t.Errorf("fired %v, want [%s]", fired, tc.rule)
			}
			if len(st.Delays) != oms.MaxDelaySamples {
				t.Errorf("%d delays kept, want %d", len(st.Delays), oms.MaxDelaySamples)
			}
			eta := last.ETA
			if eta.Trend != tc.trend || eta.String() != tc.text {
				t.Errorf("ETA %+v (%q), want %s (%q)", eta, eta.String(), tc.trend, tc.text)
			}
			if tc.truth > 0 {
				if off := (eta.Remaining - tc.truth).Seconds() / tc.truth.Seconds(); off > 0.2 || off < -0.2 {
					t.Errorf("ETA %s, truth %s", eta.Remaining, tc.truth)
				}
			}
			if routed := len(last.Decisions) > 0 && len(last.Decisions[0].Deliveries) > 0; routed != tc.routed {
				t.Errorf("routed by project.Incr.ETA.Rate > 0: %v, want %v", routed, tc.routed)
			}
		})
	}
}

// TestIncrETAInSync: a project under half a minute behind keeps no delays
// (its state is not written at every poll) and has no ETA; three polls of
// a lag are needed for one.
func TestIncrETAInSync(t *testing.T) {
	e := mustEngine(t, Config{})
	var st State
	for i, o := range []obs{delay(0, 5), delay(1, 3), delay(2, 90), delay(3, 120)} {
		res, err := e.Evaluate(Poll{Source: "oms://cn-hangzhou", Cur: snapshot(t, o.p), State: st, Now: t0.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if res.ETA != (oms.ETA{}) {
			t.Errorf("poll %d: ETA %+v from %d samples", i, res.ETA, len(res.State.Delays))
		}
		if i < 2 && (res.StateChanged || !res.State.IsZero()) {
			t.Errorf("poll %d: a project in sync changed its state: %+v", i, res.State)
		}
		st = res.State
	}
	if len(st.Delays) != 2 {
		t.Errorf("delays %v, want the two lagging polls", st.Delays)
	}
}

// TestIncrETAUnknownField: the type checker knows project.Incr.ETA's
// fields, and a typo there is an error when the rules are loaded.
func TestIncrETAUnknownField(t *testing.T) {
	_, err := New(Config{Conditions: []Condition{{Name: "c", Expr: x(`project.Incr.ETA.Remainder > duration("1h")`)}}})
	if err == nil || !strings.Contains(err.Error(), "did you mean Remaining?") {
		t.Fatalf("error %v, want one suggesting Remaining", err)
	}
}
