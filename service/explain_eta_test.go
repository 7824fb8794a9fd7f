package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// delaySnapshot is a project in incremental sync, delay seconds behind.
func delaySnapshot(t *testing.T, delay int) *oms.Snapshot {
	t.Helper()
	s, err := oms.ParseSnapshot(fmt.Appendf(nil, `{"Id":"np_1","Name":"orders","Type":"SYNC","Status":"RUNNING",
		"ExtraInfo":{"SyncDelay":%d},"Steps":[{"Name":"INCR_TRANSFER","Order":1,"Status":"MONITORING","Progress":100}]}`, delay))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestExplainShowsCatchUpETA: recordings of known trends (a linear
// catch-up, a growing lag, a plateau) go through the rules and the
// pipeline's entries as a run would store them; explain at the last poll
// says where the incremental sync stood, and each event what its status
// card showed. The catch-up's ETA is within 20% of the truth.
func TestExplainShowsCatchUpETA(t *testing.T) {
	eng, err := rules.New(rules.Config{Routes: []rules.Route{{Name: "all", To: []string{"dba"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name          string
		start, perMin float64
		want          string
		truth         time.Duration
	}{
		// 45 min behind at 03:00, a minute less each minute: caught up
		// at 03:45, 27 min after the last poll at 03:18.
		{"linear catch-up", 2700, -60, "incremental sync at 03:18:00: 27m0s behind, catching up, ETA", 27 * time.Minute},
		{"growing lag", 120, 3, "incremental sync at 03:18:00: 2m54s behind, falling behind by 3 s/min", 0},
		{"plateau", 300, 0, "incremental sync at 03:18:00: 5m0s behind, stalled\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st rules.State
			var prev *oms.Snapshot
			var stored []sinks.StoredEvent
			for i := range 10 {
				at := t0.Add(time.Duration(2*i) * time.Minute)
				cur := delaySnapshot(t, int(tc.start+tc.perMin*float64(2*i)))
				ev := event.Event{ID: fmt.Sprintf("ev-%02d", i), Source: "oms://cn-hangzhou", Type: event.TypeStepProgressChanged,
					Subject: "np_1", Time: at, Severity: event.Info,
					Data: event.Data{Project: event.Project{ID: "np_1", Name: "orders"}, Fields: map[string]any{"step": "INCR_TRANSFER", "from": 99, "to": 100}}}
				c := poller.Change{Source: "oms://cn-hangzhou", Project: "np_1", Time: at, Previous: prev, Current: cur}
				out, err := eng.Evaluate(rules.Poll{Source: c.Source, Prev: prev, Cur: cur, Now: at, State: st, Events: []event.Event{ev}})
				if err != nil {
					t.Fatal(err)
				}
				for _, en := range entries(c, out) {
					h := nats.Header{}
					if en.Status != nil {
						b, err := json.Marshal(en.Status)
						if err != nil {
							t.Fatal(err)
						}
						h.Set(sinks.HeaderStatus, string(b))
					}
					stored = append(stored, sinks.StoredEvent{Event: en.Event, Header: h})
				}
				st, prev = out.State, cur
			}
			trail := newTrail("np_1", stored, nil, slog.New(slog.DiscardHandler))
			var b bytes.Buffer
			if err := Explain(&b, trail, &config.Config{}, ExplainQuery{At: t0.Add(18 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !strings.Contains(out, tc.want) {
				t.Fatalf("explain does not say %q:\n%s", tc.want, out)
			}
			if !strings.Contains(out, "  incremental sync then: ") {
				t.Errorf("the events do not say where the sync stood:\n%s", out)
			}
			if tc.truth > 0 {
				m := regexp.MustCompile(`ETA (\d+) min`).FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("no ETA in\n%s", out)
				}
				mins, _ := strconv.Atoi(m[1])
				if off := (time.Duration(mins)*time.Minute - tc.truth).Seconds() / tc.truth.Seconds(); off > 0.2 || off < -0.2 {
					t.Errorf("ETA %d min, truth %s", mins, tc.truth)
				}
			}
		})
	}
}
