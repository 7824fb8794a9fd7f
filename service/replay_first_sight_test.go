package service

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/sinks"
)

// replayed collects what a replay would have sent, event types by project.
type replayed map[string][]string

func (r replayed) Notifications(ns []sinks.Notification) {
	for _, n := range ns {
		for _, e := range n.Events {
			r[e.Subject] = append(r[e.Subject], e.Type)
		}
	}
}
func (replayed) Skipped(time.Time, omssim.Observation, error) {}
func (replayed) ExpressionError(time.Time, error)             {}

// Replay does as run does: a project first seen RELEASED is discovered,
// not removed; one released while watched is removed.
func TestReplayFirstSightOfAFinalProjectIsNoRemoval(t *testing.T) {
	cfg, err := config.Load([]byte("oms: {mode: sim}\nstore:\n  dir: unused\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := BuildRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := func(at time.Duration, id, status string) omssim.Observation {
		body, _ := json.Marshal(map[string]any{"Success": true, "Data": map[string]any{"Id": id, "Name": id, "Status": status}})
		return omssim.Observation{Time: t0.Add(at), Source: "oms://r", Project: id, Response: body}
	}
	got := replayed{}
	obs := []omssim.Observation{seen(0, "np_gone", "RELEASED"), seen(0, "np_live", "RUNNING"),
		seen(time.Minute, "np_live", "RELEASED")}
	if err := Replay(t.Context(), cfg, eng, obs, got); err != nil {
		t.Fatal(err)
	}
	want := replayed{"np_gone": {event.TypeProjectDiscovered},
		"np_live": {event.TypeProjectDiscovered, event.TypeProjectStatusChanged, event.TypeProjectRemoved}}
	for id, types := range want {
		if !slices.Equal(got[id], types) {
			t.Errorf("%s: replayed %v, want %v", id, got[id], types)
		}
	}
}
