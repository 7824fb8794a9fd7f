package incident

import (
	"fmt"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
)

// projectIncident opens the incident of a project whose step failed with
// code, at t0 + at, with its endpoints.
func projectIncident(t *testing.T, project, code string, at time.Duration, endpoints ...string) Incident {
	t.Helper()
	p := proj("FAILED")
	p.ID, p.Steps[0].Errors[0].Code = project, code
	rec, _ := Track(Options{}, Record{}, Poll{Source: "oms://test", Project: p, Time: t0.Add(at), Endpoints: endpoints})
	return rec.Open[0]
}

// Twenty projects failing with one error code within a minute are one
// fleet incident; one that opens after the window, or with another code,
// starts its own; endpoints group too; correlating again changes nothing;
// a member's resolution is followed.
func TestCorrelate(t *testing.T) {
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	ctx := t.Context()
	s, err := NewKVStore(ctx, js, KVOptions{Bucket: "incidents"})
	if err != nil {
		t.Fatal(err)
	}
	by, window := []string{ByErrorCode, ByEndpoint}, 2*time.Minute
	fleets := map[string]Fleet{}
	correlate := func(in *Incident) Fleet {
		t.Helper()
		f, ok, err := s.Correlate(ctx, in, by, window)
		if err != nil || !ok || in.Fleet != f.ID {
			t.Fatalf("correlate %s: %v %v %+v", in.ID, ok, err, f)
		}
		fleets[f.ID] = f
		return f
	}
	var first Fleet
	var members []Incident
	for i := range 20 {
		in := projectIncident(t, fmt.Sprintf("np_%02d", i), "CM-RESOINCR0207", time.Duration(i)*3*time.Second)
		f := correlate(&in)
		if i == 0 {
			first = f
		}
		if f.ID != first.ID || len(f.Members) != i+1 {
			t.Fatalf("project %d: fleet %s with %d members", i, f.ID, len(f.Members))
		}
		members = append(members, in)
	}
	if got := fleets[first.ID].Title(); got != "error CM-RESOINCR0207 on 20 projects" {
		t.Errorf("title %q", got)
	}
	for _, tc := range []struct {
		name string
		in   Incident
		want string // joined, own, none
	}{
		{"after the window, the code's fleet still open", projectIncident(t, "np_late", "CM-RESOINCR0207", 5*time.Minute), "none"},
		{"another code", projectIncident(t, "np_other", "OMS-1105", time.Second), "own"},
		{"again", members[3], "joined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ok, err := s.Correlate(ctx, &tc.in, by, window)
			got := "none"
			switch {
			case err != nil:
				t.Fatal(err)
			case ok && f.ID == first.ID:
				got = "joined"
			case ok:
				got = "own"
			}
			if got != tc.want {
				t.Errorf("%s (fleet %s), want %s", got, f.ID, tc.want)
			}
		})
	}
	a, b := projectIncident(t, "np_ep_a", "A-1", 0, "e_shared"), projectIncident(t, "np_ep_b", "B-1", time.Second, "e_shared")
	if fa, fb := correlate(&a), correlate(&b); fa.ID != fb.ID || len(fb.Members) != 2 {
		t.Errorf("two failures on one endpoint are fleets %s and %s", fa.ID, fb.ID)
	}
	if got := fleets[first.ID]; len(got.Members) != 20 {
		t.Errorf("correlating again added a member: %d", len(got.Members))
	}
	in := members[0]
	in.State = Resolved
	f, ok, err := s.Follow(ctx, &in)
	if err != nil || !ok || f.Members[0].State != Resolved || !f.Open() {
		t.Fatalf("follow: %v %v %+v", ok, err, f.Members[0])
	}
	fields := FleetFields(f)
	if ps, _ := fields["projects"].([]any); len(ps) != 20 || fields["fleet"] != first.ID {
		t.Errorf("fields %v", fields)
	}
	if e := Event(&in, event.TypeIncidentResolved, nil, t0, "", fields); e.Validate() != nil {
		t.Error(e.Validate())
	}
}
