package kvstate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/rules/kvstate"
)

// startJetStream runs an embedded nats-server with JetStream in dir on a
// random loopback port and returns a JetStream client and a stop function.
func startJetStream(t *testing.T, dir string) (jetstream.JetStream, func()) {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {
		nc.Close()
		s.Shutdown()
		s.WaitForShutdown()
	}
	t.Cleanup(stop)
	return js, stop
}

var t0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

func snapshot(t *testing.T, delay int) *oms.Snapshot {
	t.Helper()
	s, err := oms.ParseSnapshot([]byte(fmt.Sprintf(
		`{"Id":"np_1","Name":"orders","Status":"RUNNING","Importance":"HIGH","ExtraInfo":{"SyncDelay":%d}}`, delay)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRestartInTheMiddleOfAFiringCondition stops omswatch (engine, NATS
// server and all) while a condition fires: after the restart, with the state
// read back from the KV bucket on disk, it does not fire again and it
// resolves when the delay is gone.
func TestRestartInTheMiddleOfAFiringCondition(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	cfg := rules.Config{Conditions: []rules.Condition{{Name: "incr_delay_high", For: 2 * time.Minute,
		Expr: rules.Expr{Text: `project.SyncDelay > duration("60s")`}}}}
	const source = "oms://cn-hangzhou"
	// life runs polls (minute, delay) with a fresh server, store and engine.
	life := func(polls [][2]int) []string {
		js, stop := startJetStream(t, dir)
		defer stop()
		store, err := kvstate.NewStore(ctx, js, kvstate.Options{Bucket: "omswatch-rules"})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := rules.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range polls {
			st, err := store.Load(ctx, source, "np_1")
			if err != nil {
				t.Fatal(err)
			}
			now := t0.Add(time.Duration(p[0]) * time.Minute)
			out, err := eng.Evaluate(rules.Poll{Source: source, Cur: snapshot(t, p[1]), Now: now, State: st})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range out.Events {
				got = append(got, fmt.Sprintf("%d %s since %v", p[0], e.Type, e.Data.Fields["since"]))
			}
			if out.StateChanged {
				if err := store.Save(ctx, source, "np_1", out.State); err != nil {
					t.Fatal(err)
				}
			}
		}
		return got
	}
	before := life([][2]int{{0, 90}, {1, 90}, {2, 90}, {3, 90}})
	if want := []string{"2 oms.condition.firing since 2025-06-01T08:00:00Z"}; !reflect.DeepEqual(before, want) {
		t.Fatalf("before the restart %v, want %v", before, want)
	}
	after := life([][2]int{{20, 95}, {21, 95}, {22, 5}, {23, 5}})
	if want := []string{"22 oms.condition.resolved since 2025-06-01T08:00:00Z"}; !reflect.DeepEqual(after, want) {
		t.Fatalf("after the restart %v, want %v", after, want)
	}
	// Resolved, the state is deleted rather than kept empty.
	js, _ := startJetStream(t, dir)
	kv, err := js.KeyValue(ctx, "omswatch-rules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Keys(ctx); !errors.Is(err, jetstream.ErrNoKeysFound) {
		t.Fatalf("keys left after resolving: %v", err)
	}
}

func TestStoreRoundTrip(t *testing.T) {
	ctx := t.Context()
	js, _ := startJetStream(t, t.TempDir())
	store, err := kvstate.NewStore(ctx, js, kvstate.Options{Bucket: "b"})
	if err != nil {
		t.Fatal(err)
	}
	st := rules.State{
		Conditions: map[string]rules.CondState{"c": {Since: t0, FiredAt: t0.Add(time.Minute), LastHeld: t0.Add(2 * time.Minute),
			Notified: t0.Add(time.Minute), Repeats: 2, Muted: "silenced by s1"}},
		OncePer: map[string]time.Time{"r\x00k": t0},
	}
	// Sources have ':' and '/', which KV keys do not allow.
	for _, src := range []string{"oms://cn-hangzhou", "oms+onprem://oms.example.com:8089", "omssim://generator/x?seed=1"} {
		if err := store.Save(ctx, src, "np_1", st); err != nil {
			t.Fatal(err)
		}
		got, err := store.Load(ctx, src, "np_1")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(st) {
			t.Fatalf("%s: loaded %+v, saved %+v", src, got, st)
		}
	}
	if got, err := store.Load(ctx, "oms://cn-hangzhou", "np_2"); err != nil || !got.IsZero() {
		t.Fatalf("unknown project: %+v %v", got, err)
	}
	if err := store.Save(ctx, "oms://cn-hangzhou", "np_1", rules.State{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Load(ctx, "oms://cn-hangzhou", "np_1"); !got.IsZero() {
		t.Fatalf("zero state not deleted: %+v", got)
	}
	if err := store.Save(ctx, "oms://cn-hangzhou", "never-saved", rules.State{}); err != nil {
		t.Fatalf("deleting what is not there: %v", err)
	}
}

func matchers(t *testing.T, ss ...string) []rules.Matcher {
	t.Helper()
	var out []rules.Matcher
	for _, s := range ss {
		m, err := rules.ParseMatcher(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestSilencesAddListExpireWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	js, _ := startJetStream(t, t.TempDir())
	sils, err := kvstate.NewSilences(ctx, js, kvstate.Options{Bucket: "omswatch-silences"})
	if err != nil {
		t.Fatal(err)
	}
	if all, err := sils.List(ctx); err != nil || len(all) != 0 {
		t.Fatalf("empty bucket lists %v %v", all, err)
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	w, err := sils.Watch(watchCtx, func(err error) { t.Errorf("watch: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	s1 := rules.Silence{ID: "s1", Matchers: matchers(t, "project=np_1"), StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "dba", Comment: "maintenance"}
	s2 := rules.Silence{ID: "s2", Matchers: matchers(t, "type=oms.alarm.*"), StartsAt: now, EndsAt: now.Add(2 * time.Hour)}
	for _, s := range []rules.Silence{s2, s1} {
		if err := sils.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	all, err := sils.List(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "s1" || all[0].Comment != "maintenance" {
		t.Fatalf("list %+v %v", all, err)
	}
	waitFor(t, func() bool { return w.Silences().Len() == 2 })
	ev := eventOf("np_1")
	if id := w.Silences().Match(ev, now.Add(time.Minute)); id != "s1" {
		t.Fatalf("np_1 silenced by %q, want s1", id)
	}
	expired, err := sils.Expire(ctx, "s1", now.Add(2*time.Minute))
	if err != nil || !expired.EndsAt.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("expire: %+v %v", expired, err)
	}
	waitFor(t, func() bool { return w.Silences().Match(ev, now.Add(3*time.Minute)) == "" })
	if _, err := sils.Expire(ctx, "nope", now); !errors.Is(err, kvstate.ErrNotFound) {
		t.Fatalf("expire unknown: %v", err)
	}
	if n, err := sils.Prune(ctx, now.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune removed %d (%v), want 1", n, err)
	}
	waitFor(t, func() bool { return w.Silences().Len() == 1 })
	bad := rules.Silence{ID: "bad id", Matchers: matchers(t, "project=x"), StartsAt: now, EndsAt: now.Add(time.Hour)}
	if err := sils.Put(ctx, bad); err == nil || !strings.Contains(err.Error(), "silence id") {
		t.Fatalf("bad id stored: %v", err)
	}
	if err := sils.Put(ctx, rules.Silence{ID: "empty", StartsAt: now, EndsAt: now.Add(time.Hour)}); err == nil {
		t.Fatal("a silence without matchers was stored")
	}
	stopWatch()
	select {
	case <-w.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not end with its context")
	}
}

func eventOf(project string) event.Event {
	var e event.Event
	b := fmt.Sprintf(`{"specversion":"1.0","id":"x","source":"oms://cn-hangzhou","type":"oms.step.status_changed","subject":%q,
		"time":"2025-06-01T08:00:00Z","severity":"info","data":{"project":{"id":%q,"name":"orders"}}}`, project, project)
	if err := json.Unmarshal([]byte(b), &e); err != nil {
		panic(err)
	}
	return e
}

// waitFor polls a condition the watcher reaches asynchronously.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStoreProjects(t *testing.T) {
	js, _ := startJetStream(t, t.TempDir())
	s, err := kvstate.NewStore(t.Context(), js, kvstate.Options{Bucket: "state"})
	if err != nil {
		t.Fatal(err)
	}
	st := rules.State{OncePer: map[string]time.Time{"k": t0}}
	for _, p := range []string{"np_1", "np_2"} {
		if err := s.Save(t.Context(), "oms://cn-hangzhou", p, st); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Save(t.Context(), "oms://cn-hangzhou", "np_2", rules.State{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Projects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := []kvstate.ProjectKey{{Source: "oms://cn-hangzhou", Project: "np_1"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("projects %v, want %v", got, want)
	}
}
