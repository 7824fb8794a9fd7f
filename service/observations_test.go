package service

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

// -update rewrites the golden files under testdata/. It is declared here
// unless another test file of the package (one whose name sorts before
// this one) declares it: a flag can be declared once.
var _ = declareUpdate()

func declareUpdate() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
	return true
}

// updating reports whether -update was given.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func parse(t *testing.T, doc string) *oms.Snapshot {
	t.Helper()
	s, err := oms.ParseSnapshot([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A merge patch of two snapshots' Delta turns the first into the second.
func TestMergePatchRebuildsTheSnapshot(t *testing.T) {
	for _, tc := range []struct{ name, old, cur string }{
		{"member changed", `{"Id":"np_1","Status":"RUNNING"}`, `{"Id":"np_1","Status":"FAILED"}`},
		{"member added and removed", `{"Id":"np_1","Owner":"a"}`, `{"Id":"np_1","Importance":"HIGH"}`},
		{"nested telemetry", `{"Id":"np_1","ExtraInfo":{"SyncDelay":3,"RunningStep":"INCR"}}`,
			`{"Id":"np_1","ExtraInfo":{"SyncDelay":40,"RunningStep":"INCR"}}`},
		{"object becomes scalar", `{"Id":"np_1","X":{"a":1}}`, `{"Id":"np_1","X":2}`},
		{"scalar becomes object", `{"Id":"np_1","X":2}`, `{"Id":"np_1","X":{"a":1}}`},
		{"keyed step added", `{"Id":"np_1","Steps":[{"Name":"A","Status":"RUNNING"}]}`,
			`{"Id":"np_1","Steps":[{"Name":"A","Status":"FINISHED"},{"Name":"B","Status":"RUNNING"}]}`},
		{"array replaced", `{"Id":"np_1","Tags":[1,2,3]}`, `{"Id":"np_1","Tags":[1,3]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, cur := parse(t, tc.old), parse(t, tc.cur)
			patch := mergePatch(oms.Delta(old, cur))
			// Through JSON, as the record stores it.
			b, err := json.Marshal(patch)
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&back); err != nil {
				t.Fatal(err)
			}
			got, err := oms.Canonicalize(applyMergePatch(old.Tree(), back))
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest() != cur.Digest() {
				t.Fatalf("rebuilt %s, want %s (patch %s)", got.JSON(), cur.JSON(), b)
			}
		})
	}
}

// Records keep no credential, user name or host: neither a whole
// snapshot nor a patch.
func TestObservationRecordsKeepNoSecret(t *testing.T) {
	old := parse(t, `{"Id":"np_1","Status":"RUNNING","SourceConnectInfo":{"Host":"db1.internal","Username":"root","Password":"hunter2"}}`)
	cur := parse(t, `{"Id":"np_1","Status":"FAILED","SourceConnectInfo":{"Host":"db2.internal","Username":"admin","Password":"swordfish"}}`)
	for _, tc := range []struct {
		name     string
		keyframe bool
		prev     *oms.Snapshot
	}{{"whole snapshot", true, old}, {"patch", false, old}, {"first sight", true, nil}} {
		t.Run(tc.name, func(t *testing.T) {
			o := observation{Time: time.Unix(0, 0), Source: "oms://r", Project: "np_1"}
			c := poller.Change{Source: "oms://r", Project: "np_1", Previous: tc.prev, Current: cur}
			diff, err := differ.Diff(tc.prev, cur, differ.Observation{Source: c.Source, Time: time.Unix(1, 0)})
			if err != nil {
				t.Fatal(err)
			}
			if err := o.fill(c, diff.Events, tc.keyframe); err != nil {
				t.Fatal(err)
			}
			if tc.prev == nil { // the differ's redacted tree is taken, not made again
				if got, want := reflect.ValueOf(redactedTree(c, diff.Events)).UnsafePointer(),
					reflect.ValueOf(diff.Events[0].Data.Changes[0].Value).UnsafePointer(); got != want {
					t.Error("the first sight's keyframe redacted the snapshot again")
				}
			}
			if want := oms.CanonicalJSON(differ.Redact(cur.Tree())); tc.keyframe && !bytes.Equal(o.Snapshot, want) {
				t.Errorf("keyframe\n%s\nwant the redacted snapshot\n%s", o.Snapshot, want)
			}
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"db1.internal", "db2.internal", "root", "admin", "hunter2", "swordfish"} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("record holds %q: %s", secret, b)
				}
			}
			if !bytes.Contains(b, []byte("FAILED")) {
				t.Errorf("record lost the change: %s", b)
			}
		})
	}
}

// streamBytes is what a stream holds, in bytes and messages.
func streamBytes(ctx context.Context, t *testing.T, js jetstream.JetStream, name string) (uint64, uint64) {
	t.Helper()
	st, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Bytes, info.State.Msgs
}

// What the observation log costs, beside the audit trail it serves
// (docs/PERFORMANCE.md, "Observation log"): per 1,000 events of a
// simulated fleet, and per project-hour of telemetry that moves on every
// poll without making an event, or of a project that does not move. The
// bounds fail a log that keeps whole snapshots where a patch or a time
// does; -v prints the figures.
func TestObservationLogStorage(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 11, Projects: 8, Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		// at is the snapshot of a project at poll i (30 s apart).
		at    func(id string, i int64) *oms.Snapshot
		polls int64
		// max is the bound in bytes of the log per 1,000 events, or
		// (perHour) per project-hour.
		perHour bool
		max     float64
	}{
		{name: "simulated fleet, per 1,000 events", polls: 240, max: 1_000_000,
			at: func(id string, i int64) *oms.Snapshot { return simSnapshot(t, g, id, i/2) }},
		{name: "telemetry only, per project-hour", polls: 120, perHour: true, max: 10_000,
			at: func(id string, i int64) *oms.Snapshot { return withDelay(t, simSnapshot(t, g, id, 30), i) }},
		{name: "no change, per project-hour", polls: 120, perHour: true, max: 4_000,
			at: func(id string, _ int64) *oms.Snapshot { return simSnapshot(t, g, id, 30) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The first poll writes each project's whole snapshot: the
			// figures per project-hour are what follows.
			var first uint64
			js := pollSim(ctx, t, backtestRules("480s", "2m"), simPolls{ids: g.IDs(), polls: tc.polls + 1,
				t0: g.Time(omssim.Moment{}), at: tc.at, after: func(js jetstream.JetStream, i int64) {
					if i == 0 && tc.perHour {
						first, _ = streamBytes(ctx, t, js, sinks.DefaultObservationStream)
					}
				}})
			obsBytes, records := streamBytes(ctx, t, js, sinks.DefaultObservationStream)
			obsBytes -= first
			evBytes, events := streamBytes(ctx, t, js, sinks.DefaultStream)
			var figure float64
			if tc.perHour {
				figure = float64(obsBytes) / float64(len(g.IDs())) / (float64(tc.polls) / 120)
				t.Logf("observation log: %.0f bytes per project-hour after %.0f bytes of a whole snapshot (%d records of %d polls; audit trail %d bytes, %d events)",
					figure, float64(first)/float64(len(g.IDs())), records, tc.polls*int64(len(g.IDs())), evBytes, events)
			} else {
				figure = float64(obsBytes) / float64(events) * 1000
				t.Logf("observation log: %.0f bytes per 1,000 events (%d records, %d bytes); audit trail: %.0f bytes per 1,000 events",
					figure, records, obsBytes, float64(evBytes)/float64(events)*1000)
			}
			if figure > tc.max {
				t.Errorf("%.0f bytes, over the bound %.0f", figure, tc.max)
			}
		})
	}
}

func simSnapshot(t testing.TB, g *omssim.Generator, id string, tick int64) *oms.Snapshot {
	t.Helper()
	d, _ := g.Describe(omssim.Moment{Tick: tick}, id, omssim.Full)
	s, err := oms.ParseSnapshot(d.Data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// withDelay is s with its sync delay, checkpoint and modification time
// moved as poll i would see them: telemetry, no event.
func withDelay(t testing.TB, s *oms.Snapshot, i int64) *oms.Snapshot {
	t.Helper()
	tree := map[string]any{}
	for k, v := range s.Tree() {
		tree[k] = v
	}
	extra := map[string]any{}
	if m, ok := s.Member("ExtraInfo").(map[string]any); ok {
		for k, v := range m {
			extra[k] = v
		}
	}
	extra["SyncDelay"] = json.Number(strconv.FormatInt(i%90, 10))
	extra["IncrSyncTimestamp"] = json.Number(strconv.FormatInt(1_750_000_000+30*i, 10))
	tree["ExtraInfo"] = extra
	tree["GmtModified"] = time.Unix(1_750_000_000+30*i, 0).UTC().Format("2006-01-02T15:04:05")
	out, err := oms.Canonicalize(tree)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// simPolls is what pollSim polls: polls times, 30 s apart from t0, the
// projects ids, whose snapshots at poll i at gives; after, if set, hears
// the end of each poll.
type simPolls struct {
	ids   []string
	polls int64
	t0    time.Time
	at    func(id string, i int64) *oms.Snapshot
	after func(js jetstream.JetStream, i int64)
	// setup, if set, runs before the first poll.
	setup func(d *delivery, js jetstream.JetStream)
}

// pollSim polls on a moved clock through the real pipeline (configured
// by doc), stops as run does (the observation log flushed), and returns
// the stream everything went to.
func pollSim(ctx context.Context, t *testing.T, doc string, sp simPolls) jetstream.JetStream {
	t.Helper()
	ids, at, t0 := sp.ids, sp.at, sp.t0
	d, js, _ := startDelivery(ctx, t, doc)
	if sp.setup != nil {
		sp.setup(d, js)
	}
	snaps, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: "snapshots"})
	if err != nil {
		t.Fatal(err)
	}
	var poll atomic.Int64
	p, err := poller.New(poller.Options{Source: "oms://cn-hangzhou", Projects: ids, Store: snaps, Handler: d.Handler(),
		Fetcher: poller.FetcherFunc(func(_ context.Context, id string) (*oms.Snapshot, error) {
			return at(id, poll.Load()), nil
		}),
		Reevaluate: true, Now: func() time.Time { return t0.Add(time.Duration(poll.Load()) * 30 * time.Second) },
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range sp.polls {
		poll.Store(i)
		if sum, err := p.RunOnce(ctx); err != nil || sum.Failed != 0 {
			t.Fatalf("poll %d: %+v %v", i, sum, err)
		}
		if sp.after != nil {
			sp.after(js, i)
		}
	}
	if err := d.FlushObservations(ctx); err != nil {
		t.Fatal(err)
	}
	return js
}

// A restart (a new process, or the next once run from cron) carries the
// chain on from the log's last record: no whole snapshot again, and the
// backtest of the whole history finds no gap and no difference.
func TestObservationChainCarriesOnAcrossRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	doc := backtestRules("480s", "2m")
	_, js, _ := startDelivery(ctx, t, doc)
	cfg, err := config.Load([]byte(doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 7, Projects: 2, Template: omssim.TemplateLagFailRecover,
		Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: "snapshots"})
	if err != nil {
		t.Fatal(err)
	}
	from, ticks := g.Story()
	var tick atomic.Int64
	for run := range 3 { // each run a new delivery and poller: a restarted process
		d, err := newDelivery(ctx, cfg, js, deliveryOptions{stdout: &proctest.Buffer{}, logFormat: "json",
			red: &secret.Redactor{}, log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := poller.New(poller.Options{Source: "oms://cn-hangzhou", Projects: g.IDs(), Store: snaps, Handler: d.Handler(),
			Fetcher: poller.FetcherFunc(func(_ context.Context, id string) (*oms.Snapshot, error) {
				return simSnapshot(t, g, id, from+tick.Load()/2), nil
			}),
			Reevaluate: true, Now: func() time.Time {
				return g.Time(omssim.Moment{Tick: from}).Add(time.Duration(tick.Load()) * 30 * time.Second)
			},
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 * ticks / 3 {
			if sum, err := p.RunOnce(ctx); err != nil || sum.Failed != 0 {
				t.Fatalf("run %d, poll %d: %+v %v", run, tick.Load(), sum, err)
			}
			tick.Add(1)
		}
		if err := d.FlushObservations(ctx); err != nil {
			t.Fatal(err)
		}
	}
	whole := 0
	err = sinks.ReadMessages(ctx, js, sinks.ReadQuery{Stream: sinks.DefaultObservationStream, Subject: ">"}, func(m sinks.StoredMsg) error {
		o, err := decodeObservation(m.Data)
		if o.Snapshot != nil {
			whole++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if whole != len(g.IDs()) {
		t.Errorf("%d whole snapshots in the log, want one per project (%d)", whole, len(g.IDs()))
	}
	eng, err := BuildRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bt, err := backtest(ctx, js, cfg, eng, BacktestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bt.Gaps)+len(bt.Added)+len(bt.Removed)+len(bt.Changed) > 0 || bt.Sent == 0 {
		t.Fatalf("sent %d; gaps %v, added %d, removed %d, changed %d", bt.Sent, bt.Gaps, len(bt.Added), len(bt.Removed), len(bt.Changed))
	}
}

// A record larger than the server's max_payload is stored without its
// snapshot, so the hand-off goes on (it is not retried forever); the
// next change starts the chain again with a whole snapshot, and the
// backtest names the gap.
func TestObservationTooLargeIsStoredWithoutItsSnapshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	srv, err := natsembed.Start(ctx, natsembed.ServerOptions{Port: -1, StoreDir: t.TempDir(), MaxPayload: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	nc, err := natsembed.Connect(ctx, natsembed.ConnOptions{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	ob, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 256<<10)
	for i := range noise {
		noise[i] = 'a' + byte(rnd.IntN(26)) // about 4.7 bits a byte compressed: 150 KB
	}
	big := parse(t, `{"Id":"np_1","Status":"RUNNING","Description":"`+string(noise)+`"}`)
	small := parse(t, `{"Id":"np_1","Status":"FAILED"}`)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newRecorder(ob)
	for i, c := range []poller.Change{
		{Current: big},
		{Previous: big, Current: small},
	} {
		c.Source, c.Project, c.Time = "oms://r", "np_1", t0.Add(time.Duration(i)*time.Minute)
		if err := r.Record(ctx, c, rules.Outcome{StateChanged: true}); err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
	}
	var got []observation
	err = sinks.ReadMessages(ctx, js, sinks.ReadQuery{Stream: sinks.DefaultObservationStream, Subject: ">"}, func(m sinks.StoredMsg) error {
		o, err := decodeObservation(m.Data)
		got = append(got, o)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Omitted || got[0].Snapshot != nil || got[1].Snapshot == nil {
		t.Fatalf("%d records; want 2: the first omitted (%t, %d bytes of snapshot), the second whole (%d bytes)",
			len(got), len(got) > 0 && got[0].Omitted, len(got[0].Snapshot), len(got[len(got)-1].Snapshot))
	}
	cfg, err := config.Load([]byte(backtestRules("480s", "2m")), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := BuildRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bt, err := backtest(ctx, js, cfg, eng, BacktestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bt.Gaps) != 1 || !strings.Contains(bt.Gaps[0], "max_payload") {
		t.Fatalf("gaps %q", bt.Gaps)
	}
}

// The rebuild keeps its chain through a record stored twice (a retried
// publish) and one written late (a replica that lost the lease flushed at
// its stop); a record whose predecessor is gone is a gap.
func TestRebuildKeepsTheChain(t *testing.T) {
	snaps := []*oms.Snapshot{
		parse(t, `{"Id":"np_1","Status":"RUNNING"}`),
		parse(t, `{"Id":"np_1","Status":"FAILED"}`),
		parse(t, `{"Id":"np_1","Status":"RUNNING","Owner":"dba"}`),
		parse(t, `{"Id":"np_1","Status":"SUSPEND","Owner":"dba"}`),
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// rec is the record of the change from snaps[from] (-1: none) to
	// snaps[to] at minute at.
	rec := func(from, to, at int) observation {
		c := poller.Change{Source: "oms://r", Project: "np_1", Time: t0.Add(time.Duration(at) * time.Minute), Current: snaps[to]}
		o := observation{Source: c.Source, Project: c.Project, Time: c.Time}
		if from >= 0 {
			c.Previous = snaps[from]
			o.Prev = short(snaps[from].Digest())
		}
		if err := o.fill(c, nil, from < 0); err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, tc := range []struct {
		name string
		recs []observation
		gaps int
	}{
		{"in order", []observation{rec(-1, 0, 0), rec(0, 1, 1), rec(1, 2, 2), rec(2, 3, 3)}, 0},
		{"stored twice", []observation{rec(-1, 0, 0), rec(0, 1, 1), rec(0, 1, 1), rec(1, 2, 2), rec(2, 3, 3)}, 0},
		{"written late", []observation{rec(-1, 0, 0), rec(0, 1, 1), rec(1, 2, 3), rec(0, 2, 2), rec(2, 3, 4)}, 0},
		{"predecessor gone", []observation{rec(-1, 0, 0), rec(1, 2, 2), rec(2, 3, 3)}, 1},
		{"resumed by a whole snapshot", []observation{rec(-1, 0, 0), rec(1, 2, 2), rec(-1, 2, 3), rec(2, 3, 4)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load([]byte(backtestRules("480s", "2m")), "test.yaml")
			if err != nil {
				t.Fatal(err)
			}
			eng, err := BuildRules(cfg)
			if err != nil {
				t.Fatal(err)
			}
			bt := &Backtest{}
			rb := newRebuilder(cfg, eng, bt)
			for _, o := range tc.recs {
				if err := rb.observe(t.Context(), o); err != nil {
					t.Fatal(err)
				}
			}
			if len(bt.Gaps) != tc.gaps {
				t.Fatalf("gaps %q; want %d", bt.Gaps, tc.gaps)
			}
			if last := rb.last[[2]string{"oms://r", "np_1"}]; tc.name != "predecessor gone" && (last == nil || last.Digest() != snaps[3].Digest()) {
				t.Fatalf("rebuilt %v; want the last snapshot", last)
			}
		})
	}
}
