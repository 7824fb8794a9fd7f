package service

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// simState is what the built-in simulator is started from, kept with the
// data it fed: the store holds the projects' last snapshots, so a
// simulator started again from its seed would move every project back to
// its start, and a restarted demo would print false regressions
// (RUNNING -> INIT) for projects that never went back.
type simState struct {
	Start    time.Time     `json:"start"`
	Projects int           `json:"projects"`
	Tick     time.Duration `json:"tick"`
}

// simStateFile is the simulator's state in the store's directory.
const simStateFile = "simulator.json"

// simEpoch is when the simulator's tick 0 was: the saved one when the data
// was made by a simulator of the same shape, else now (saved for the next
// start).
func (s *Service) simEpoch(now time.Time) time.Time {
	want := simState{Start: now.UTC().Truncate(time.Second), Projects: s.o.SimProjects, Tick: s.o.SimTick}
	if s.storeDir == "" {
		return want.Start
	}
	file := filepath.Join(s.storeDir, simStateFile)
	var saved simState
	if b, err := os.ReadFile(file); err == nil && json.Unmarshal(b, &saved) == nil {
		if saved.Projects == want.Projects && saved.Tick == want.Tick && !saved.Start.IsZero() && !saved.Start.After(now) {
			return saved.Start
		}
		s.log.Warn("the built-in simulator's shape changed since the data was made: its projects start afresh; "+
			"remove the data directory for a store without their old snapshots", "dir", s.storeDir,
			"projects", saved.Projects, "tick", saved.Tick)
	}
	b, _ := json.Marshal(want)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		s.log.Warn("cannot keep the built-in simulator's state with the data; a restart will start its projects afresh",
			"file", file, "error", err)
	}
	return want.Start
}
