package differ

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wI2L/jsondiff"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
)

var obs = Observation{Source: "oms://cn-hangzhou", Time: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}

// simSnapshots returns the snapshots of generated projects of every
// template at a few ticks each.
func simSnapshots(t testing.TB) []*oms.Snapshot {
	t.Helper()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 5, Projects: 10, MinTables: 1, MaxTables: 40, Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var out []*oms.Snapshot
	for _, id := range g.IDs() {
		for tick := int64(0); tick < 60; tick += 7 {
			d, ok := g.Describe(omssim.Moment{Tick: tick, Elapsed: time.Duration(tick) * time.Minute}, id, omssim.Full)
			if !ok || d.Data == nil {
				continue
			}
			s, err := oms.ParseSnapshot(d.Data)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
	}
	return out
}

func TestDiffOfItselfIsEmpty(t *testing.T) {
	for i, s := range simSnapshots(t) {
		again, err := oms.ParseSnapshot(s.JSON())
		if err != nil {
			t.Fatal(err)
		}
		res, err := Diff(s, again, obs)
		if err != nil || len(res.Events) != 0 || len(res.Patch) != 0 {
			t.Fatalf("snapshot %d: diff with itself gave %d events, %d ops, %v", i, len(res.Events), len(res.Patch), err)
		}
	}
}

// TestPatchTurnsOldIntoNew applies each pair's patch to old's canonical
// tree and wants new's canonical JSON; and the pruned diff equals
// jsondiff on the whole trees.
func TestPatchTurnsOldIntoNew(t *testing.T) {
	snaps := simSnapshots(t)
	for i := 0; i+1 < len(snaps); i++ {
		prev, cur := snaps[i], snaps[i+1]
		if prev.ID() != cur.ID() {
			continue
		}
		res, err := Diff(prev, cur, obs)
		if err != nil {
			t.Fatal(err)
		}
		var full jsondiff.Differ
		full.Compare(prev.Tree(), cur.Tree())
		if want := full.Patch(); len(want) != len(res.Patch) {
			t.Fatalf("pair %d: pruned diff has %d ops, whole-tree diff %d", i, len(res.Patch), len(want))
		} else {
			for j, w := range want {
				if w.Type != res.Patch[j].Op || w.Path != res.Patch[j].Path {
					t.Fatalf("pair %d op %d: pruned %s %s, whole %s %s", i, j, res.Patch[j].Op, res.Patch[j].Path, w.Type, w.Path)
				}
			}
		}
		got := apply(t, decodeTree(t, prev.JSON()), res.Patch)
		if canon := canonicalJSON(t, got); !bytes.Equal(canon, cur.JSON()) {
			t.Fatalf("pair %d: patched old is not new:\n%s\n%s", i, canon, cur.JSON())
		}
	}
}

func TestIDsStableAndDistinct(t *testing.T) {
	snaps := simSnapshots(t)
	seen := map[string]string{}
	for i := 0; i+1 < len(snaps); i++ {
		prev, cur := snaps[i], snaps[i+1]
		if prev.ID() != cur.ID() {
			continue
		}
		a, _ := Diff(prev, cur, obs)
		b, _ := Diff(prev, cur, obs)
		for j := range a.Events {
			if a.Events[j].ID != b.Events[j].ID {
				t.Fatalf("pair %d: ids differ between runs", i)
			}
			what := fmt.Sprint(a.Events[j].Type, a.Events[j].Data.Fields, cur.Digest())
			if other, dup := seen[a.Events[j].ID]; dup && other != what {
				t.Fatalf("id %s names two changes: %s and %s", a.Events[j].ID, other, what)
			}
			seen[a.Events[j].ID] = what
		}
	}
	if len(seen) < 20 {
		t.Fatalf("only %d events over the generated pairs: the generator changed?", len(seen))
	}
}

func TestRemovedAndSort(t *testing.T) {
	s := simSnapshots(t)[0]
	e, err := Removed(s, obs)
	if err != nil || e.Validate() != nil || e.Type != event.TypeProjectRemoved || e.Severity != event.Warning {
		t.Fatalf("removed: %+v %v", e, err)
	}
	if again, _ := Removed(s, obs); again.ID != e.ID {
		t.Fatal("removed id not stable")
	}
	if _, err := Removed(nil, obs); err == nil {
		t.Fatal("removed without a snapshot accepted")
	}
	early := event.Event{Subject: "np_b", Time: obs.Time.Add(-time.Minute)}
	evs := []event.Event{{Subject: "np_b", Type: "2", Time: obs.Time}, {Subject: "np_a", Type: "1", Time: obs.Time},
		{Subject: "np_b", Type: "1", Time: obs.Time}, early}
	Sort(evs)
	order := []string{early.Subject + early.Type, "np_a1", "np_b2", "np_b1"}
	for i, o := range order {
		if evs[i].Subject+evs[i].Type != o {
			t.Fatalf("order %d: got %s%s want %s", i, evs[i].Subject, evs[i].Type, o)
		}
	}
}

func decodeTree(t testing.TB, b []byte) any { return decode(t, b) }

func canonicalJSON(t testing.TB, v any) []byte {
	t.Helper()
	s, err := oms.Canonicalize(v)
	if err != nil {
		t.Fatal(err)
	}
	return s.JSON()
}

// apply is a small RFC 6902 applier for add, remove and replace on objects
// and arrays (jsondiff has none public).
func apply(t testing.TB, doc any, patch []event.Change) any {
	t.Helper()
	for _, c := range patch {
		doc = applyAt(t, doc, splitPointer(c.Path), c)
	}
	return doc
}

// applyAt applies c at segs below v and returns the new v.
func applyAt(t testing.TB, v any, segs []string, c event.Change) any {
	t.Helper()
	if len(segs) == 0 {
		if c.Op == "remove" {
			return nil
		}
		return c.Value
	}
	last := len(segs) == 1
	switch p := v.(type) {
	case map[string]any:
		if last && c.Op == "remove" {
			delete(p, segs[0])
		} else {
			p[segs[0]] = applyAt(t, p[segs[0]], segs[1:], c)
		}
		return p
	case []any:
		if last && segs[0] == "-" && c.Op == "add" {
			return append(p, c.Value)
		}
		i, err := strconv.Atoi(segs[0])
		if err != nil || i > len(p) {
			t.Fatalf("bad index %q in %s", segs[0], c.Path)
		}
		switch {
		case last && c.Op == "add":
			return append(p[:i], append([]any{c.Value}, p[i:]...)...)
		case last && c.Op == "remove":
			return append(p[:i], p[i+1:]...)
		default:
			p[i] = applyAt(t, p[i], segs[1:], c)
			return p
		}
	}
	t.Fatalf("op %s %s: cannot descend into %T", c.Op, c.Path, v)
	return nil
}

// FuzzDiff feeds two arbitrary JSON inputs: Diff never panics, and when it
// succeeds every event has a type, an id, and passes Validate.
func FuzzDiff(f *testing.F) {
	// Small seeds: the fuzzer mutates them thousands of times a second; the
	// 20 KB golden inputs slow it to a crawl.
	f.Add([]byte(`{"Id":"np_1","Status":"RUNNING","Name":"a","Labels":[{"Id":"l","Name":"x"}],"Steps":[{"Name":"FULL_TRANSFER","Order":1,"Status":"RUNNING","Progress":4,"ExtraInfo":{"ErrorDetails":[{"Code":"C","Message":"m"}]}}],"AlarmStats":{"Alarming":false,"RecentlyTriggerCount":1},"WorkerGradeInfo":{"Expired":false},"SinkConnectInfo":{"Host":"h","Password":"p"}}`),
		[]byte(`{"Id":"np_1","Status":"FAILED","Name":"b","Labels":[],"Steps":[{"Name":"FULL_TRANSFER","Order":1,"Status":"FAILED","Progress":9,"ExtraInfo":{"ErrorCode":"E","ErrorMsg":"n"}},{"Name":"INCR","Status":"INIT"}],"AlarmStats":{"Alarming":true,"RecentlyTriggerCount":3,"RuleToRecentlyTriggerCount":{"r":2}},"WorkerGradeInfo":{"Expired":true},"SinkConnectInfo":{"Host":"i","Password":"q"},"GmtModified":"2025-01-01T00:00:00"}`))
	f.Add([]byte(`{"Id":"np_1","Steps":[{"Name":"A","Status":"RUNNING"}]}`), []byte(`{"Id":"np_1","Steps":{"A":{"Status":"FAILED"}}}`))
	f.Add([]byte(``), []byte(`{"id":"np_1","alarmStats":{"alarming":"true"}}`))
	f.Add([]byte(`{"Id":"np_1","AlarmStats":3}`), []byte(`{"Id":"np_1","AlarmStats":{"RuleToRecentlyTriggerCount":{"a/b~":2}}}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var prev *oms.Snapshot
		if len(bytes.TrimSpace(a)) > 0 {
			var err error
			if prev, err = oms.ParseSnapshot(a); err != nil {
				return
			}
		}
		cur, err := oms.ParseSnapshot(b)
		if err != nil {
			return
		}
		res, err := Diff(prev, cur, obs)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for _, e := range res.Events {
			if e.Type == "" || e.ID == "" {
				t.Fatalf("event without type or id: %+v", e)
			}
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event: %v", err)
			}
			if _, err := e.JSON(); err != nil {
				t.Fatalf("event does not marshal: %v", err)
			}
		}
		if prev != nil {
			got := canonicalJSON(t, apply(t, decodeTree(t, prev.JSON()), res.Patch))
			if !bytes.Equal(got, cur.JSON()) {
				t.Fatalf("patch does not turn old into new:\n%s\n%s", got, cur.JSON())
			}
		}
		checkReusingDiff(t, a, b, res)
		_ = json.Valid
	})
}
