package chaos

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/poller"
)

// source is the event source of a cloud configuration in region
// cn-hangzhou: what omswatch run stamps on every event and keys its
// snapshots by.
const source = "oms://cn-hangzhou"

// world is the simulated OMS on a manual clock and the truth about it: what
// every project looks like at every tick of the scenario.
type world struct {
	t        *testing.T
	gen      *omssim.Generator
	sim      *omssim.Server
	url      string
	keyID    string
	secret   string
	ticks    int
	ids      []string
	digests  map[string][]string // project -> digest at each tick
	terminal map[string]int      // project -> first RELEASED/DELETED tick, or -1
	obs      [][]omssim.Observation
	tick     int
	procs    []*omswatchProc // must be running while drive waits
}

// watch makes drive fail at once when p exits by itself.
func (w *world) watch(p *omswatchProc) { w.procs = append(w.procs, p) }

// unwatch is for a replica the scenario stops for good.
func (w *world) unwatch(p *omswatchProc) {
	for i, q := range w.procs {
		if q == p {
			w.procs = append(w.procs[:i], w.procs[i+1:]...)
			return
		}
	}
}

// newWorld serves projects generated from seed on a manual clock that the
// scenario advances ticks-1 times.
func newWorld(t *testing.T, projects, ticks int, seed int64, keyID, secret string) *world {
	t.Helper()
	gen, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: seed, Projects: projects, Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := omssim.New(omssim.Options{Scenario: gen, Seed: seed, Tick: time.Minute, ManualClock: true,
		AccessKeys: []omssim.AccessKey{{ID: keyID, Secret: secret}}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { sim.Close(); hs.Close() })
	w := &world{t: t, gen: gen, sim: sim, url: hs.URL, keyID: keyID, secret: secret, ticks: ticks, ids: gen.IDs(),
		digests: map[string][]string{}, terminal: map[string]int{}}
	var buf bytes.Buffer
	if err := omssim.WriteRecording(&buf, gen, omssim.RecordOptions{Ticks: int64(ticks), Tick: time.Minute,
		Source: source, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	all, err := omssim.ReadRecording(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != ticks*projects {
		t.Fatalf("recording: %d observations, want %d", len(all), ticks*projects)
	}
	for _, id := range w.ids {
		w.terminal[id] = -1
	}
	for k := range ticks {
		w.obs = append(w.obs, all[k*projects:(k+1)*projects])
		for _, o := range w.obs[k] {
			snap, err := oms.ParseSnapshot(o.Response)
			if err != nil {
				t.Fatalf("tick %d %s: %v", k, o.Project, err)
			}
			w.digests[o.Project] = append(w.digests[o.Project], snap.Digest())
			if st, _ := snap.Tree()["Status"].(string); (st == "RELEASED" || st == "DELETED") && w.terminal[o.Project] < 0 {
				w.terminal[o.Project] = k
			}
		}
	}
	return w
}

// polled reports whether omswatch still polls project p at tick k (it
// stops after the first terminal state).
func (w *world) polled(p string, k int) bool { return w.terminal[p] < 0 || k <= w.terminal[p] }

// transitions counts the state changes the scenario makes: a project's
// snapshot at a tick differing from the previous tick's, while polled.
func (w *world) transitions() int {
	n := 0
	for _, p := range w.ids {
		for k := 1; k < w.ticks && w.polled(p, k); k++ {
			if w.digests[p][k] != w.digests[p][k-1] {
				n++
			}
		}
	}
	return n
}

// expected runs `omswatch replay` over the simulator's answers at every
// tick (each project up to its first terminal state) with the scenario's
// configuration, and returns the ids of the events it implies, by type.
func (w *world) expected(cfg string) map[string]string {
	w.t.Helper()
	var lines bytes.Buffer
	for k, obs := range w.obs {
		for _, o := range obs {
			if !w.polled(o.Project, k) {
				continue
			}
			b, err := json.Marshal(o)
			if err != nil {
				w.t.Fatal(err)
			}
			lines.Write(b)
			lines.WriteByte('\n')
		}
	}
	file := filepath.Join(w.t.TempDir(), "truth.jsonl")
	if err := os.WriteFile(file, lines.Bytes(), 0o600); err != nil {
		w.t.Fatal(err)
	}
	cmd := exec.Command(bins.omswatch, "replay", "--config", cfg, "--format", "json", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		w.t.Fatalf("omswatch replay: %v\n%s", err, stderr.String())
	}
	ids := map[string]string{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var n struct {
			Events []struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			} `json:"events"`
		}
		if err := json.Unmarshal(line, &n); err != nil {
			w.t.Fatalf("replay output: %v: %s", err, line)
		}
		for _, e := range n.Events {
			ids[e.ID] = e.Type
		}
	}
	if len(ids) == 0 {
		w.t.Fatal("replay implies no events")
	}
	return ids
}

// settled reports whether every project's stored snapshot is the one the
// simulator serves at tick k (or its last polled one).
func (w *world) settled(ctx context.Context, store *poller.KVStore, k int) (bool, string) {
	for _, p := range w.ids {
		want := w.digests[p][k]
		if !w.polled(p, k) {
			want = w.digests[p][w.terminal[p]]
		}
		rec, err := store.Get(ctx, source, p)
		if err != nil {
			return false, fmt.Sprintf("%s: %v", p, err)
		}
		if rec.Removed || rec.Snapshot == nil {
			if w.terminal[p] >= 0 && k >= w.terminal[p] {
				continue
			}
			return false, p + ": removed before its terminal state"
		}
		if rec.Snapshot.Digest() != want {
			return false, p + ": not yet at tick " + fmt.Sprint(k)
		}
	}
	return true, ""
}

// drive plays the scenario: at each tick (after advancing the clock, but
// for tick 0) it calls during(k), then waits until every project's
// snapshot of tick k is stored, so no state is skipped.
func (w *world) drive(store *poller.KVStore, during func(k int)) {
	w.t.Helper()
	for k := range w.ticks {
		if k > 0 {
			w.sim.Advance(1)
		}
		w.tick = k
		if during != nil {
			during(k)
		}
		deadline := time.Now().Add(size(3*time.Minute, 5*time.Minute))
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			ok, why := w.settled(ctx, store, k)
			cancel()
			if ok {
				break
			}
			for _, p := range w.procs {
				if p.Exited() {
					w.t.Fatalf("tick %d: %s exited by itself (exit %d):\n%s", k, p.Name, p.ExitCode(), proctest.Tail(p.Stderr(), 4000))
				}
			}
			if time.Now().After(deadline) {
				w.t.Fatalf("tick %d not stored for every project after %s: %s", k, size(3*time.Minute, 5*time.Minute), why)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// openStore opens omswatch's snapshot bucket with omswatch's own settings
// (so creating it first changes nothing). Open it before omswatch starts:
// two clients creating the same replicated bucket at once on a cluster can
// leave one waiting until its deadline (see TestClusterNodeLoss).
func openStore(t *testing.T, js jetstream.JetStream, replicas int) *poller.KVStore {
	t.Helper()
	var store *poller.KVStore
	proctest.Eventually(t, 60*time.Second, "the snapshot bucket open", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		store, err = poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: config.Default().Store.Bucket, Replicas: replicas})
		if err != nil {
			t.Logf("snapshot bucket: %v", err)
		}
		return err == nil
	})
	return store
}

// createDelivered creates the stream the JetStream NATS target publishes
// into (subjects delivered.>), deduplicating by Nats-Msg-Id.
func createDelivered(t *testing.T, js jetstream.JetStream, replicas int) {
	t.Helper()
	proctest.Eventually(t, 60*time.Second, "stream DELIVERED created", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "DELIVERED", Subjects: []string{"delivered.>"},
			Duplicates: 10 * time.Minute, Replicas: replicas, Storage: jetstream.FileStorage})
		if err != nil {
			t.Logf("stream DELIVERED: %v", err)
		}
		return err == nil
	})
}

// cfgOptions are what a scenario's configuration varies in.
type cfgOptions struct {
	natsURL, natsUser, natsPassword string
	replicas                        int
	slack                           *fakeSlack
	slackToken                      string
	hook                            *fakeWebhook
	replicaID                       string // ha on, with this id
	noCore                          bool   // no core NATS target
}

// writeConfig writes omswatch's configuration: the simulator's cloud API,
// describe every project every second, the external NATS, and every event
// routed to every target (a JetStream NATS target, a core NATS target,
// Slack, the webhook).
func (w *world) writeConfig(dir string, o cfgOptions) string {
	w.t.Helper()
	if o.replicas == 0 {
		o.replicas = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `oms:
  mode: cloud
  region: cn-hangzhou
  endpoint: %s
  credentials: static
  access_key_id: %s
  access_key_secret: %q
  retries:
    max_attempts: 2
discovery:
  list:
    enabled: true
    refresh: "@every 2s"
  mode: describe_always
  # Each first sighting as its own message: the fake Slack counts
  # messages per event.
  announce: each
schedule:
  default: "@every 1s"
  jitter: 0s
store:
  dir: %s
  replicas: %d
http:
  listen: 127.0.0.1:0
nats:
  url: %q
`, w.url, w.keyID, w.secret, filepath.Join(dir, "data-"+cmp.Or(o.replicaID, "run")), o.replicas, o.natsURL)
	if o.natsUser != "" {
		fmt.Fprintf(&b, "  user: %q\n  password: %q\n", o.natsUser, o.natsPassword)
	}
	b.WriteString(`  targets:
    natsjs:
      subject: "delivered.{{.Project.ID}}.{{.Type}}"
      jetstream: true
      stream: DELIVERED
`)
	targets := []string{"natsjs"}
	if !o.noCore {
		b.WriteString("    natscore:\n      subject: \"core.{{.Project.ID}}.{{.Type}}\"\n")
		targets = append(targets, "natscore")
	}
	if o.slack != nil {
		fmt.Fprintf(&b, `slack:
  token: %q
  api_url: %s
  rate_limit: 200/s
  targets:
    slack:
      channel: "#chaos"
      template:
        default: %q
`, o.slackToken, o.slack.apiURL(), slackTemplate)
		targets = append(targets, "slack")
	}
	if o.hook != nil {
		fmt.Fprintf(&b, "webhook:\n  targets:\n    hook:\n      url: %s\n", o.hook.srv.URL)
		if o.hook.secret != "" {
			fmt.Fprintf(&b, "      secret: %q\n", o.hook.secret)
		}
		targets = append(targets, "hook")
	}
	if o.replicaID != "" {
		fmt.Fprintf(&b, "ha:\n  enabled: true\n  replica_id: %s\n  lease_ttl: 4s\n  renew_interval: 1s\n", o.replicaID)
	}
	fmt.Fprintf(&b, "rules:\n  default_to: [%s]\n  group_wait: 0s\n", strings.Join(targets, ", "))
	path := filepath.Join(dir, cmp.Or(o.replicaID, "omswatch")+".yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		w.t.Fatal(err)
	}
	out, err := exec.Command(bins.omswatch, "validate", "--config", path).CombinedOutput()
	if err != nil {
		w.t.Fatalf("omswatch validate: %v\n%s", err, out)
	}
	return path
}

// tally compares what one consumer received with the expected ids.
type tally struct {
	name                string
	lost, dups, unknown int
	dupIDs              []string
}

func compare(name string, want map[string]string, got map[string]int) tally {
	t := tally{name: name}
	for id := range want {
		switch n := got[id]; {
		case n == 0:
			t.lost++
		case n > 1:
			t.dups += n - 1
			t.dupIDs = append(t.dupIDs, id)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.unknown++
		}
	}
	sort.Strings(t.dupIDs)
	return t
}

func (t tally) String() string {
	return fmt.Sprintf("%s: lost=%d duplicates=%d unexpected=%d", t.name, t.lost, t.dups, t.unknown)
}

// waitDelivered waits until every expected id reached every target.
func waitDelivered(t *testing.T, want map[string]string, timeout time.Duration, targets map[string]func() map[string]int) {
	t.Helper()
	var missing []string
	deadline := time.Now().Add(timeout)
	for {
		missing = missing[:0]
		names := make([]string, 0, len(targets))
		for name := range targets {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if c := compare(name, want, targets[name]()); c.lost > 0 {
				missing = append(missing, fmt.Sprintf("%s misses %d", name, c.lost))
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("after %s not every expected event was delivered: %s", timeout, strings.Join(missing, ", "))
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// auditCheck compares the audit stream with the expected events: every one
// exactly once and nothing else.
func auditCheck(t *testing.T, js jetstream.JetStream, want map[string]string) (tally, int) {
	t.Helper()
	msgs := streamMsgs(t, js, "OMSWATCH_EVENTS")
	got := map[string]int{}
	for _, m := range msgs {
		got[m.Header.Get("Nats-Msg-Id")]++
	}
	c := compare("audit", want, got)
	if c.lost > 0 || c.dups > 0 || c.unknown > 0 {
		t.Errorf("audit stream against the replay of %d expected events: %s", len(want), c)
		for _, m := range msgs {
			if _, ok := want[m.Header.Get("Nats-Msg-Id")]; !ok {
				t.Logf("unexpected in the audit stream: %s %s", m.Subject, proctest.Tail(string(m.Data), 600))
			}
		}
	}
	dead := deadLetters(t, js)
	for _, m := range dead {
		t.Errorf("dead letter %s: %s: %s", m.Subject, m.Header.Get("Omswatch-Reason"), proctest.Tail(string(m.Data), 300))
	}
	return c, len(got)
}

// deadLetters reads the dead-letter stream, if there is one.
func deadLetters(t *testing.T, js jetstream.JetStream) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.Stream(ctx, "OMSWATCH_DEADLETTER"); err != nil {
		return nil
	}
	return streamMsgs(t, js, "OMSWATCH_DEADLETTER")
}

// logMissing names the expected events a target did not receive.
func logMissing(t *testing.T, name string, want map[string]string, got map[string]int) {
	t.Helper()
	for id, typ := range want {
		if got[id] == 0 {
			t.Logf("%s did not receive %s (%s)", name, id, typ)
		}
	}
}
