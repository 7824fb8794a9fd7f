package incident

import (
	"errors"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
)

// Records survive in JetStream KV; a write over a record that changed
// since it was read is a conflict, and Change (ack, resolve by hand)
// finds the incident by a prefix of its id and reads again on one.
func TestKVStore(t *testing.T) {
	dir := t.TempDir()
	_, js := proctest.StartEmbeddedNATS(t, dir)
	ctx := t.Context()
	if _, err := OpenKVStore(ctx, js, "incidents"); err == nil {
		t.Fatal("a missing bucket opened")
	}
	s, err := NewKVStore(ctx, js, KVOptions{Bucket: "incidents"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := Track(Options{}, Record{}, Poll{Source: "oms://test", Project: proj("FAILED"), Time: t0})
	if _, err := s.Save(ctx, "oms://test", "np_1", rec, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, "oms://test", "np_1", rec, 0); !errors.Is(err, ErrConflict) {
		t.Fatalf("a second create: %v", err)
	}
	got, rev, err := s.Load(ctx, "oms://test", "np_1")
	if err != nil || rev == 0 || len(got.Open) != 1 || got.Open[0].ID != rec.Open[0].ID {
		t.Fatalf("load: %+v %d %v", got, rev, err)
	}
	id := rec.Open[0].ID
	e, err := s.Change(ctx, id[:6], func(r *Record, id string) (event.Event, error) {
		return r.Acknowledge(id, Ack{By: "alice", Comment: "looking", At: t0.Add(time.Minute)})
	})
	if err != nil || e.Type != event.TypeIncidentAcknowledged || e.Data.Text("by") != "alice" {
		t.Fatalf("ack: %v %v", e, err)
	}
	if _, err := s.Save(ctx, "oms://test", "np_1", rec, rev); !errors.Is(err, ErrConflict) {
		t.Fatalf("a stale update: %v", err)
	}
	all, err := s.List(ctx)
	if err != nil || len(all) != 1 || all[0].State != Acknowledged || all[0].Ack.Comment != "looking" {
		t.Fatalf("list: %+v %v", all, err)
	}
	if _, err := s.Find(ctx, "inc-nothing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("find: %v", err)
	}
}
