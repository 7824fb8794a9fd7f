package service

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

// stored is what the outbox holds: each event with the targets of its
// deliveries.
type stored struct {
	e       event.Event
	targets []string
}

func storedEvents(t *testing.T, js jetstream.JetStream) []stored {
	t.Helper()
	st, err := js.Stream(t.Context(), sinks.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []stored
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		e, err := sinks.DecodeEvent(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		s := stored{e: e}
		for _, v := range m.Header.Values(sinks.HeaderDeliver) {
			target, _, _ := strings.Cut(v, "|")
			s.targets = append(s.targets, target)
		}
		out = append(out, s)
	}
	return out
}

// selfMonDelivery builds the delivery of doc (nothing started: what it
// publishes stays in the outbox) on an embedded server.
func selfMonDelivery(t *testing.T, doc string) (*delivery, jetstream.JetStream) {
	t.Helper()
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	cfg, err := config.Load([]byte(doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDelivery(t.Context(), cfg, js, deliveryOptions{stdout: &proctest.Buffer{}, logFormat: "json",
		red: &secret.Redactor{}, log: slog.New(slog.DiscardHandler), source: "oms://cn-hangzhou"})
	if err != nil {
		t.Fatal(err)
	}
	return d, js
}

const selfMonTargets = `oms: {mode: sim}
store: {dir: unused, delivery: {fallback_to: pager}}
webhook:
  targets:
    hook: {url: http://127.0.0.1:9/hook}
    pager: {url: http://127.0.0.1:9/pager}
    chat: {url: http://127.0.0.1:9/chat}
`

// Issue 15, point 6: a target failing too long is one oms.target.failing,
// routed by the rules but never to the failing target (to the fallback
// when the routes name only it), and its recovery one oms.target.recovered
// routed as the rules say.
func TestTargetHealthEvents(t *testing.T) {
	since := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	cases := []struct {
		name, routes string
		failing      bool
		want         []string
	}{
		{"failing: the other targets of the route", "[hook, chat]", true, []string{"chat"}},
		{"failing: only itself routed, so the fallback", "[hook]", true, []string{"pager"}},
		{"recovered: as routed", "[hook, chat]", false, []string{"hook", "chat"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, js := selfMonDelivery(t, selfMonTargets+"rules:\n  routes:\n    - match: {types: [oms.target.*]}\n      to: "+tc.routes+"\n")
			d.dispOpts.Health(t.Context(), sinks.TargetHealth{Target: "hook", Failing: tc.failing, Since: since,
				Time: since.Add(7 * time.Minute), Error: "401 Unauthorized"})
			got := storedEvents(t, js)
			if len(got) != 1 {
				t.Fatalf("%d events stored, want 1", len(got))
			}
			e := got[0].e
			wantType := map[bool]string{true: event.TypeTargetFailing, false: event.TypeTargetRecovered}[tc.failing]
			if e.Type != wantType || e.Subject != "oms://cn-hangzhou" || e.Data.Fields["target"] != "hook" ||
				e.Data.Fields["since"] != "2026-12-01T03:00:00Z" || e.Validate() != nil {
				t.Errorf("stored %+v", e)
			}
			if tc.failing && e.Data.Fields["error"] != "401 Unauthorized" || !tc.failing && e.Data.Fields["lasted"] != "7m0s" {
				t.Errorf("data %v", e.Data.Fields)
			}
			if !slices.Equal(got[0].targets, tc.want) {
				t.Errorf("delivered to %v, want %v", got[0].targets, tc.want)
			}
		})
	}
}

// pollState is the poller as a beat sees it.
type pollState struct {
	cycles int64
	ready  error
}

func (p *pollState) Cycles() int64 { return p.cycles }
func (p *pollState) Ready() error  { return p.ready }
func (p *pollState) Watched() int  { return 20 }

// Issue 15, point 6: a heartbeat every period while polls succeed, to its
// targets only; none while every poll fails, OMS refuses the account, or
// nothing was polled yet (then one when the cycle ends, even of no
// project); never two within a period.
func TestHeartbeatBeatsWhilePollsSucceed(t *testing.T) {
	const every = 5 * time.Minute
	type step struct {
		ok, failed int
		cycle      bool  // a poll cycle ended
		ready      error // the poller's readiness
		after      time.Duration
		beat       bool
	}
	refused := errors.New("polling paused: OMS refuses the account's requests")
	cases := []struct {
		name  string
		steps []step
	}{
		{"polls succeed", []step{{ok: 20, cycle: true, after: every, beat: true}, {ok: 20, cycle: true, after: every, beat: true}}},
		{"not before a period", []step{{ok: 20, cycle: true, after: every - time.Second}, {after: time.Second, beat: true}}},
		{"some polls fail", []step{{ok: 19, failed: 1, cycle: true, after: every, beat: true}}},
		{"every poll fails", []step{{failed: 20, cycle: true, after: every}, {failed: 20, cycle: true, after: every},
			{ok: 20, cycle: true, after: every, beat: true}}},
		{"the account is refused", []step{{ok: 3, ready: refused, after: every}}},
		{"nothing polled yet, then a cycle of no project", []step{{after: every}, {cycle: true, after: time.Second, beat: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, js := selfMonDelivery(t, selfMonTargets)
			log := &proctest.Buffer{}
			h := &heartbeat{every: every, to: []string{"pager", "chat"}, source: "oms://cn-hangzhou", outbox: d.outbox, log: log.Logger()}
			p := &pollState{}
			now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
			h.last = now
			beats := 0
			for i, s := range tc.steps {
				for range s.ok {
					h.Polled(poller.ResultUnchanged, "", time.Millisecond)
				}
				for range s.failed {
					h.Polled(poller.ResultFailed, "Throttling.User", time.Millisecond)
				}
				if s.cycle {
					p.cycles++
				}
				p.ready, now = s.ready, now.Add(s.after)
				if got := h.beat(t.Context(), p, now); got != s.beat {
					t.Fatalf("step %d: beat %v, want %v", i, got, s.beat)
				}
				if s.beat {
					beats++
				}
			}
			got := storedEvents(t, js)
			if len(got) != beats {
				t.Fatalf("%d events stored, want %d beats", len(got), beats)
			}
			for _, g := range got {
				if g.e.Type != event.TypeWatchHeartbeat || g.e.Validate() != nil || g.e.Data.Fields["every"] != "5m0s" ||
					!slices.Equal(g.targets, []string{"pager", "chat"}) {
					t.Errorf("beat %+v to %v", g.e, g.targets)
				}
			}
		})
	}
}
