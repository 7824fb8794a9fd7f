package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/service"
)

// state is one poll of a synthetic project for the default conditions.
type state struct {
	min        int
	status     string // project status; default RUNNING
	importance string // default HIGH
	delay      int    // seconds; 0 leaves SyncDelay out
	checkpoint int    // minutes after t0 the incremental checkpoint is at; 0: none
	incr       string // INCR_TRANSFER status; default RUNNING
	workerDays int    // the worker ends this many days after the poll; 0: no end time
}

var defaultsT0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

func (s state) snapshot(t *testing.T) *oms.Snapshot {
	t.Helper()
	now := defaultsT0.Add(time.Duration(s.min) * time.Minute)
	d := map[string]any{"Id": "np_1", "Name": "orders", "Type": "SYNC",
		"Status": cmp.Or(s.status, "RUNNING"), "Importance": cmp.Or(s.importance, "HIGH")}
	extra := map[string]any{}
	if s.delay > 0 {
		extra["SyncDelay"] = s.delay
	}
	if s.checkpoint > 0 {
		extra["IncrSyncTimestamp"] = defaultsT0.Add(time.Duration(s.checkpoint) * time.Minute).Unix()
	}
	d["ExtraInfo"] = extra
	d["Steps"] = []any{
		map[string]any{"Name": "FULL_TRANSFER", "Order": 1, "Status": "FINISHED", "Progress": 100},
		map[string]any{"Name": "INCR_TRANSFER", "Order": 2, "Status": cmp.Or(s.incr, "RUNNING"), "Progress": 100},
	}
	if s.workerDays != 0 {
		d["WorkerGradeInfo"] = map[string]any{"Id": "g_1",
			"EndTime": now.Add(time.Duration(s.workerDays) * 24 * time.Hour).Format("2006-01-02T15:04:05")}
	}
	b, _ := json.Marshal(d)
	snap, err := oms.ParseSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestDefaultConditions runs each condition config/example.yaml ships (with
// its inhibition) on synthetic histories, including the ones the recordings
// do not reach (a LOW project's delay, a worker expiring in days).
func TestDefaultConditions(t *testing.T) {
	unsetEnv(t, exampleEnv...)
	cfg, err := config.LoadFile("../../config/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := service.BuildRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	every := func(from, to int, s state) []state {
		var out []state
		for m := from; m <= to; m++ {
			s.min = m
			out = append(out, s)
		}
		return out
	}
	stalled := every(0, 7, state{checkpoint: 1, delay: 2})
	advancing := every(0, 7, state{delay: 2})
	for i := range advancing {
		advancing[i].checkpoint = i + 1
	}
	cases := []struct {
		name  string
		polls []state
		want  []string
	}{
		{"HIGH over 60s for 2m", every(0, 3, state{delay: 61}), []string{"2 firing incr_delay_high 1m1s"}},
		{"HIGH at 60s", every(0, 3, state{delay: 60}), nil},
		{"MEDIUM over 300s", every(0, 3, state{importance: "MEDIUM", delay: 301}), []string{"2 firing incr_delay_medium 5m1s"}},
		{"MEDIUM at 200s", every(0, 3, state{importance: "MEDIUM", delay: 200}), nil},
		{"LOW over 900s, then back", append(every(0, 2, state{importance: "LOW", delay: 901}), state{min: 3, importance: "LOW", delay: 5}),
			[]string{"2 firing incr_delay_low 15m1s", "3 resolved incr_delay_low 5s (recovered, after 3m0s)"}},
		{"LOW at 600s", every(0, 3, state{importance: "LOW", delay: 600}), nil},
		{"checkpoint stalled 5m", stalled, []string{"6 firing incr_checkpoint_stalled 5m0s"}},
		{"checkpoint advancing", advancing, nil},
		{"stalled but suspended", every(0, 7, state{checkpoint: 1, delay: 2, status: "SUSPEND", incr: "SUSPEND"}), nil},
		{"stalled, then the project FAILED", append(stalled, state{min: 8, checkpoint: 1, delay: 2, status: "FAILED", incr: "FAILED"}),
			[]string{"6 firing incr_checkpoint_stalled 5m0s", "8 resolved incr_checkpoint_stalled 7m0s (not_applicable, after 7m0s)"}},
		{"stalled, then paused", append(stalled, state{min: 8, checkpoint: 1, delay: 2, status: "SUSPEND", incr: "SUSPEND"}),
			[]string{"6 firing incr_checkpoint_stalled 5m0s", "8 resolved incr_checkpoint_stalled 7m0s (not_applicable, after 7m0s)"}},
		{"late, then paused", append(every(0, 3, state{delay: 90}), every(4, 9, state{delay: 400, status: "SUSPEND", incr: "SUSPEND"})...),
			[]string{"2 firing incr_delay_high 1m30s", "4 resolved incr_delay_high 6m40s (not_applicable, after 4m0s)"}},
		{"paused and late", every(0, 7, state{delay: 900, status: "SUSPEND", incr: "SUSPEND"}), nil},
		{"step failed 2m", append(every(0, 2, state{delay: 2, incr: "FAILED"}), state{min: 3, delay: 2}),
			[]string{"2 firing failed_for_2m RUNNING, failed: INCR_TRANSFER", "3 resolved failed_for_2m RUNNING (recovered, after 3m0s)"}},
		{"failed, then paused", append(every(0, 2, state{delay: 2, status: "FAILED", incr: "FAILED"}), state{min: 3, status: "SUSPEND", incr: "SUSPEND"}),
			[]string{"2 firing failed_for_2m FAILED, failed: INCR_TRANSFER", "3 resolved failed_for_2m SUSPEND (not_applicable, after 3m0s)"}},
		{"failed, recovered in 1m", []state{{min: 0, incr: "FAILED", delay: 2}, {min: 1, delay: 2}, {min: 3, delay: 2}}, nil},
		{"FAILED project: its delay is not measured", every(0, 3, state{status: "FAILED", incr: "FAILED", delay: 90}),
			[]string{"2 firing failed_for_2m FAILED, failed: INCR_TRANSFER"}},
		{"worker ends in 3 days", []state{{min: 0, delay: 2, workerDays: 3}}, []string{"0 firing worker_expiring 2025-06-04T08:00:00Z"}},
		{"worker renewed", []state{{min: 0, delay: 2, workerDays: 3}, {min: 1, delay: 2, workerDays: 30}},
			[]string{"0 firing worker_expiring 2025-06-04T08:00:00Z", "1 resolved worker_expiring 2025-07-01T08:01:00Z (recovered, after 1m0s)"}},
		{"worker ends in 30 days", []state{{min: 0, delay: 2, workerDays: 30}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := runDefaults(t, eng, tc.polls)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("condition events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// evaluatePolls runs a history of snapshots through the rules, as run's
// hand-offs would, and describes each event it made with line.
func evaluatePolls(t *testing.T, eng *rules.Engine, polls []state, line func(min int, e event.Event, d rules.Decision) string) []string {
	t.Helper()
	var st rules.State
	var prev *oms.Snapshot
	var got []string
	for _, p := range polls {
		cur := p.snapshot(t)
		out, err := eng.Evaluate(rules.Poll{Source: "oms://cn-hangzhou", Prev: prev, Cur: cur,
			Now: defaultsT0.Add(time.Duration(p.min) * time.Minute), State: st})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Errors {
			t.Errorf("minute %d: %v", p.min, e)
		}
		for i, e := range out.Events {
			got = append(got, line(p.min, e, out.Decisions[i]))
		}
		st, prev = out.State, cur
	}
	return got
}

// runDefaults describes each condition event: minute, state, rule, value
// and what muted it.
func runDefaults(t *testing.T, eng *rules.Engine, polls []state) []string {
	t.Helper()
	return evaluatePolls(t, eng, polls, func(min int, e event.Event, d rules.Decision) string {
		line := fmt.Sprintf("%d %s %v %v", min, strings.TrimPrefix(e.Type, "oms.condition."), e.Data.Fields["rule"], e.Data.Fields["value"])
		if r, ok := e.Data.Fields["reason"]; ok {
			line += fmt.Sprintf(" (%v, after %v)", r, e.Data.Fields["lasted"])
		}
		if d.Muted != "" {
			line += " (" + d.Muted + ")"
		}
		return line
	})
}
