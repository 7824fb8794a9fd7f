package poller

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// TestKeptStringsAreCopies guards the fix that took a 10,000-project
// two-tier cycle from 564 MB to 145 MB peak RSS (BenchmarkFleet): the
// strings a poller keeps for every project of the fleet must not share
// memory with the answer they were decoded from, or each one pins its
// whole ListProjects page (150 projects' decoded state) for as long as the
// poller runs.
func TestKeptStringsAreCopies(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "testdata", "oms", "seed_describeproject.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := oms.ParseSnapshot(body)
	if err != nil {
		t.Fatal(err)
	}
	shares := func(a, b string) bool { return len(a) > 0 && unsafe.StringData(a) == unsafe.StringData(b) }
	tree := s.Tree()
	info := infoOf(s)
	for _, f := range []struct{ name, kept, decoded string }{
		{"id", info.ID, s.ID()},
		{"name", info.Name, tree["Name"].(string)},
		{"type", info.Type, tree["Type"].(string)},
		{"status", info.Status, tree["Status"].(string)},
		{"importance", info.Importance, tree["Importance"].(string)},
		{"owner", info.Owner, tree["Owner"].(string)},
		{"status via textField", textField(s, "Status"), tree["Status"].(string)},
	} {
		if f.kept != f.decoded {
			t.Errorf("%s: kept %q, decoded %q", f.name, f.kept, f.decoded)
		}
		if shares(f.kept, f.decoded) {
			t.Errorf("%s: the kept string shares the decoded answer's memory", f.name)
		}
	}
	if len(info.Labels) != 1 || info.Labels[0] != "test_tag" {
		t.Fatalf("labels: %q", info.Labels)
	}
	for _, l := range tree["Labels"].(map[string]any) {
		if n := l.(map[string]any)["Name"].(string); shares(info.Labels[0], n) {
			t.Error("label: the kept string shares the decoded answer's memory")
		}
	}

	p := &Poller{projects: map[string]*project{}, groups: []group{{}}}
	id := s.ID()
	pr := p.add(id, event.Project{ID: id})
	if shares(pr.id, id) {
		t.Error("project id shares the decoded answer's memory")
	}
	for k := range p.projects {
		if shares(k, id) {
			t.Error("the projects map's key shares the decoded answer's memory")
		}
	}
}

// A project's own record of its state moves as its polls end: a describe
// dates the snapshot and its listed state, a refresh from the list keeps
// the last describe's, and a commit ends any run of failures.
func TestProjectRecordFollowsItsPolls(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "testdata", "oms", "seed_describeproject.json"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := oms.ParseSnapshot(body)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	pr := &project{id: snap.ID()}
	pr.failedWith(errors.New("no answer"), t0)
	if pr.failures != 1 || pr.firstFail != t0 || pr.failCode != "Error" {
		t.Fatalf("after a failure: %d failures from %s, code %q", pr.failures, pr.firstFail, pr.failCode)
	}

	described := pr.described(snap, "list-1", "full-1", t0.Add(time.Minute))
	pr.committed(described, 7)
	if pr.rev != 7 || pr.digest != snap.Digest() || pr.listDigest != "list-1" || pr.listFull != "full-1" || pr.describedAt != t0.Add(time.Minute) ||
		pr.status != textField(snap, "Status") || pr.failures != 0 || pr.lastErr != nil {
		t.Fatalf("after a described change: %+v", pr)
	}

	refreshed := pr.refreshed(snap, t0.Add(2*time.Minute))
	if refreshed.ListDigest != "list-1" || refreshed.DescribedAt != t0.Add(time.Minute) || refreshed.ObservedAt != t0.Add(2*time.Minute) {
		t.Errorf("a refresh from the list: %+v; want the last describe's list digest and time", refreshed)
	}
	pr.committed(refreshed, 8)
	if pr.rev != 8 || pr.describedAt != t0.Add(time.Minute) {
		t.Errorf("after a refreshed change: revision %d, described at %s", pr.rev, pr.describedAt)
	}

	if pr.differs(pr.saved) {
		t.Errorf("after a commit the state differs from the saved one: %+v, saved %+v", pr.durable, pr.saved)
	}
	pr.describedUnchanged("list-2", "full-2", t0.Add(3*time.Minute))
	if pr.listDigest != "list-2" || pr.listFull != "full-2" || pr.describedAt != t0.Add(3*time.Minute) || pr.rev != 8 {
		t.Errorf("after an unchanged describe: %+v", pr)
	}
	if !pr.differs(pr.saved) {
		t.Error("an unchanged describe moved the state, which differs from the saved one: it must be saved")
	}
	if st := pr.state(""); st.DescribedAt != t0.Add(3*time.Minute) || st.ListDigest != "list-2" || st.Revision != 8 || st.Snapshot != nil {
		t.Errorf("the state to save: %+v", st)
	}

	pr.tombstoned(9)
	if pr.rev != 9 || pr.digest != "" {
		t.Errorf("after a removal: revision %d, digest %q", pr.rev, pr.digest)
	}
	if ts := tombstone("RELEASED", t0, 9); !ts.Removed || ts.Snapshot != nil || ts.Status != "RELEASED" || ts.Revision != 9 {
		t.Errorf("tombstone %+v", ts)
	}

	pr.loadedFrom(Record{Snapshot: snap, ListDigest: "list-3", DescribedAt: t0, Status: "RUNNING", Revision: 12,
		Failures: 2, FailingSince: t0, LastErrorCode: "ServiceUnavailable", LastError: "503"})
	if !pr.loaded || pr.rev != 12 || pr.digest != snap.Digest() || pr.listDigest != "list-3" || pr.status != "RUNNING" ||
		pr.failures != 2 || pr.firstFail != t0 || oms.ErrorCode(pr.lastErr) != "ServiceUnavailable" || pr.differs(pr.saved) {
		t.Errorf("after loading: %+v", pr)
	}
	pr.failedWith(errors.New("again"), t0.Add(time.Hour))
	if pr.failures != 3 || pr.firstFail != t0 || !pr.differs(pr.saved) {
		t.Errorf("a failure after loading a run of 2: %d failures from %s", pr.failures, pr.firstFail)
	}
}
