package oms_test

import (
	"bytes"
	"testing"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
)

// The simulator's generated fleet, as described and as listed, at several
// moments of its story: the state written from the index is the state
// encoded from the tree.
func TestStateOfGeneratedProjects(t *testing.T) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 5, Projects: 200, MaxTables: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, tick := range []int64{0, 7, 40, 200} {
		for _, id := range g.IDs() {
			for _, d := range []omssim.Detail{omssim.Full, omssim.Related} {
				desc, ok := g.Describe(omssim.Moment{Tick: tick}, id, d)
				if !ok {
					t.Fatalf("no project %s", id)
				}
				s, err := oms.ParseSnapshot(desc.Data)
				if err != nil {
					t.Fatal(err)
				}
				got, ok, want := oms.StateBytes(s)
				if !ok || !bytes.Equal(got, want) {
					t.Fatalf("%s at tick %d: state from the index (%v):\n%s\nwant\n%s", id, tick, ok, got, want)
				}
			}
		}
	}
}

// A project's listed state completed from its describe, and its describe
// brought up to date with a later entry's telemetry, are canonical: read
// back, they are the same snapshots.
func TestMergedSnapshotsAreCanonical(t *testing.T) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 9, Projects: 150, MaxTables: 5})
	if err != nil {
		t.Fatal(err)
	}
	parse := func(tick int64, id string, d omssim.Detail) *oms.Snapshot {
		desc, _ := g.Describe(omssim.Moment{Tick: tick}, id, d)
		s, err := oms.ParseSnapshot(desc.Data)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, id := range g.IDs() {
		described, listed := parse(3, id, omssim.Full), parse(30, id, omssim.Related)
		merged, err := listed.WithMembersFrom(described)
		if err != nil {
			t.Fatal(err)
		}
		refreshed, err := described.WithTelemetryFrom(listed)
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string]*oms.Snapshot{"merged": merged, "refreshed": refreshed} {
			again, err := oms.ParseSnapshot(s.JSON())
			if err != nil || again.Digest() != s.Digest() || !bytes.Equal(again.JSON(), s.JSON()) {
				t.Fatalf("%s %s is not canonical (%v):\n%s\n%s", name, id, err, s.JSON(), again.JSON())
			}
			if got, ok, want := oms.StateBytes(s); !ok || !bytes.Equal(got, want) {
				t.Fatalf("%s %s: its state cannot be written from its index", name, id)
			}
		}
	}
}
