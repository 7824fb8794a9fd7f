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
