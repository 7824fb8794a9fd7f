package poller

import (
	"os"
	"path/filepath"
	"testing"
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
