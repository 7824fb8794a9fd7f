package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/poller"
)

// randomFaults is every fault kind of the simulator, together on 20% of
// the requests: each of the nine kinds hits about 2.2% of them. The eight
// kinds that replace the answer are evaluated in order and the first that
// fires wins, so the i-th gets the rate q/(1-i*q), which makes each one's
// share q; latency (which only delays the real answer, well within the
// client's timeout) draws on its own. timeout holds the request 1.5s and
// then drops the connection.
func randomFaults() string {
	const q = 0.20 / 9
	kinds := []string{"timeout=1500ms", "http500", "http503", "throttle=200ms", "business", "truncated", "invalid", "notfound"}
	rules := []string{fmt.Sprintf("latency=100ms@%.5f", q)}
	for i, k := range kinds {
		rules = append(rules, fmt.Sprintf("%s@%.5f", k, q/(1-float64(i)*q)))
	}
	return strings.Join(rules, ",")
}

// storedMeta is the metadata of a project's stored snapshot (the poller's
// value format: "OMW1", a uvarint length, JSON metadata, the snapshot).
type storedMeta struct {
	Digest  string `json:"digest"`
	Removed bool   `json:"removed"`
}

func readStored(ctx context.Context, kv jetstream.KeyValue, project string) (storedMeta, bool) {
	e, err := kv.Get(ctx, poller.Key(source, project))
	if err != nil {
		return storedMeta{}, false
	}
	v, ok := bytes.CutPrefix(e.Value(), []byte("OMW1"))
	if !ok {
		return storedMeta{}, false
	}
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return storedMeta{}, false
	}
	var m storedMeta
	if json.Unmarshal(v[k:k+int(n)], &m) != nil {
		return storedMeta{}, false
	}
	return m, true
}

// tickState is what a project looks like at one tick of the scenario.
type tickState struct {
	digest string
	status string
}

func terminalStatus(s string) bool { return s == "RELEASED" || s == "DELETED" }

// projectEvent reports whether an event type is one the differ derives
// from snapshots (not a poll's health, not a condition of the rules).
func projectEvent(typ string) bool {
	return !strings.HasPrefix(typ, "oms.poll.") && !strings.HasPrefix(typ, "oms.condition.")
}

// Scenario 5, OMS faults: the simulator answers 20% of the requests with a
// fault, every kind of it, for the whole scenario. The clock is manual and
// moves to the next tick only once the snapshot omswatch stored for every
// project is the one of this tick, so omswatch sees every state exactly
// like a fault-free observer that looks once a tick; `omswatch replay` of
// the recording of those same ticks is that observer. The audit stream's
// project events must be exactly the replay's (same ids: the id hashes
// source, project, type, key and the new snapshot's digest): none false,
// none missing. Half way through, one project's requests all fail for a
// stretch: oms.poll.failing then oms.poll.recovered for it; and every
// oms.poll.failing is where a project's polls failed failure_threshold
// times in a row, every one followed by its oms.poll.recovered.
func TestOMSFaults(t *testing.T) {
	t.Parallel()
	started := time.Now()
	projects := pick(6, 20)
	ticks := int64(pick(30, 300)) // 2s of scenario time each: 1 and 10 minutes
	const step = 2 * time.Second
	const threshold = 3
	gen, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 11, Projects: projects, Step: step})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	// The fault-free observer: every project at every tick, and what it
	// looks like then.
	recording := filepath.Join(dir, "scenario.jsonl")
	var rec bytes.Buffer
	if err := omssim.WriteRecording(&rec, gen, omssim.RecordOptions{Ticks: ticks, Tick: step, Source: source, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(recording, rec.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	obs, err := omssim.ReadRecording(bytes.NewReader(rec.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	ids := gen.IDs()
	states := make([]map[string]tickState, ticks)
	for i, o := range obs {
		tick := i / len(ids)
		if states[tick] == nil {
			states[tick] = map[string]tickState{}
		}
		s, err := oms.ParseSnapshot(o.Response)
		if err != nil {
			t.Fatalf("recording line %d: %v", i+1, err)
		}
		status, _ := s.Member("Status").(string)
		states[tick][o.Project] = tickState{digest: s.Digest(), status: status}
	}

	log := &proctest.SimLog{}
	faults, err := omssim.ParseFaults(randomFaults())
	if err != nil {
		t.Fatal(err)
	}
	sim, simURL := startSim(t, omssim.Options{Scenario: gen, Seed: 11, Tick: step, ManualClock: true, Faults: faults}, log)
	ns, js := proctest.StartNATS(t)
	cfg := runConfig(t, dir, simURL, ns.ClientURL(), fmt.Sprintf(`schedule:
  default: "@every 1s"
  jitter: 0s
  failure_threshold: %d
discovery:
  list:
    enabled: true
    refresh: "@every 5s"
  mode: describe_always
rules:
  default_to: [log]
  group_wait: 0s
`, threshold))
	// The OMS client: a 3s timeout, quick retries, no rate limit in the way.
	cfgText := strings.Replace(proctest.ReadFile(t, cfg), "store:\n", `  timeout: 3s
  qps: 100
  max_in_flight: 8
  retries:
    max_attempts: 3
    initial_backoff: 50ms
    max_backoff: 200ms
store:
`, 1)
	proctest.WriteFile(t, cfg, "%s", cfgText)
	c := startChild(t, "run", dir, nil, "run", "--config", cfg, "--log-format", "json", "--format", "json")
	c.HTTPAddr(addrTimeout)

	ctx := context.Background()
	var kv jetstream.KeyValue
	proctest.Eventually(t, 60*time.Second, "the snapshot bucket", func() bool {
		kv, err = js.KeyValue(ctx, "omswatch-snapshots")
		return err == nil
	})
	// at waits until every project still watched stores its state of tick.
	at := func(tick int64) {
		t.Helper()
		proctest.Eventually(t, 120*time.Second, fmt.Sprintf("every project stored as of tick %d", tick), func() bool {
			if c.Exited() {
				t.Fatalf("omswatch exited with %d", c.ExitCode())
			}
			for _, id := range ids {
				if tick > 0 && terminalStatus(states[tick-1][id].status) {
					continue // no longer polled
				}
				m, ok := readStored(ctx, kv, id)
				want := states[tick][id]
				if !ok || (terminalStatus(want.status) && !m.Removed) || (!terminalStatus(want.status) && m.Digest != want.digest) {
					return false
				}
			}
			return true
		})
	}
	stretchTick := ticks / 2
	sustained := ""
	for _, id := range ids {
		if !terminalStatus(states[stretchTick][id].status) {
			sustained = id // still polled during the stretch
			break
		}
	}
	if sustained == "" {
		t.Fatal("every project is released by the middle of the scenario")
	}
	var stretchStart, stretchEnd time.Time
	for tick := int64(0); tick < ticks; tick++ {
		if tick > 0 {
			sim.Advance(1)
		}
		at(tick)
		if tick != stretchTick {
			continue
		}
		// The sustained stretch: every request about one project fails
		// until omswatch says its polls are failing, and two polls more.
		stretchStart = time.Now()
		if err := sim.SetFaults(append([]omssim.Fault{{Kind: omssim.FaultHTTP503, Rate: 1, Target: sustained}}, faults...)); err != nil {
			t.Fatal(err)
		}
		proctest.Eventually(t, 120*time.Second, "oms.poll.failing for "+sustained, func() bool {
			return hasEvent(t, js, event.TypePollFailing, sustained, stretchStart)
		})
		before := countRequests(log, sustained)
		proctest.Eventually(t, 60*time.Second, "two more polls of "+sustained, func() bool { return countRequests(log, sustained) >= before+2 })
		if err := sim.SetFaults(faults); err != nil {
			t.Fatal(err)
		}
		stretchEnd = time.Now()
		proctest.Eventually(t, 120*time.Second, "oms.poll.recovered for "+sustained, func() bool {
			return hasEvent(t, js, event.TypePollRecovered, sustained, stretchEnd)
		})
	}
	scenarioDone := time.Now()
	// Every poll after the last tick's states were stored sees them again:
	// wait for any recovery still pending (all polls succeed eventually),
	// then stop.
	time.Sleep(3 * time.Second)
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(90 * time.Second); code != 0 {
		t.Fatalf("run exit %d", code)
	}
	noPanic(t, "run", c.Stderr())

	// The reference: omswatch replay of the same ticks, fault-free.
	code, out, errOut := runOnce(t, dir, nil, "replay", "--config", cfg, "--format", "json", recording)
	if code != 0 {
		t.Fatalf("replay exit %d:\n%s", code, proctest.Tail(errOut, 3000))
	}
	want := map[string]event.Event{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var n struct {
			Events []event.Event `json:"events"`
		}
		if err := json.Unmarshal(sc.Bytes(), &n); err != nil {
			t.Fatalf("replay output: %v", err)
		}
		for _, e := range n.Events {
			if projectEvent(e.Type) {
				want[e.ID] = e
			}
		}
	}

	audit := readAudit(t, js)
	got := map[string]event.Event{}
	dups := 0
	polls := map[string][]event.Event{} // oms.poll.* by project
	for _, a := range audit {
		e := a.event
		if strings.HasPrefix(e.Type, "oms.poll.") {
			polls[e.Subject] = append(polls[e.Subject], e)
		}
		if !projectEvent(e.Type) {
			continue
		}
		if _, ok := got[e.ID]; ok {
			dups++
		}
		got[e.ID] = e
	}
	var falseEvents, missing []string
	for id, e := range got {
		if _, ok := want[id]; !ok {
			falseEvents = append(falseEvents, fmt.Sprintf("%s %s %s %v", e.Subject, e.Type, e.Time.Format(time.RFC3339), e.Data.Fields))
		}
	}
	for id, e := range want {
		if _, ok := got[id]; !ok {
			missing = append(missing, fmt.Sprintf("%s %s %s %v", e.Subject, e.Type, e.Time.Format(time.RFC3339), e.Data.Fields))
		}
	}
	slices.Sort(falseEvents)
	slices.Sort(missing)
	if len(want) == 0 {
		t.Fatal("the replay has no project events: the scenario shows nothing")
	}
	if len(falseEvents) > 0 {
		t.Errorf("%d false project events (in the audit stream, not in the fault-free replay):\n%s", len(falseEvents), strings.Join(falseEvents, "\n"))
	}
	if len(missing) > 0 {
		t.Errorf("%d project events of the fault-free replay missing from the audit stream:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	if dups > 0 {
		t.Errorf("%d project events twice in the audit stream", dups)
	}

	// oms.poll.failing exactly where polls failed threshold times in a
	// row (the child's "poll failed" log lines count them), each followed
	// by oms.poll.recovered.
	runs := map[string]int{}
	for _, l := range c.LogLines() {
		if l["msg"] == "poll failed" {
			if f, _ := l["failures"].(float64); int(f) == threshold {
				p, _ := l["project"].(string)
				runs[p]++
			}
		}
	}
	failing, recovered, spurious := 0, 0, 0
	for _, id := range ids {
		var f, r int
		var seq []string
		for _, e := range polls[id] {
			seq = append(seq, e.Type)
			if e.Type == event.TypePollFailing {
				f++
			} else if e.Type == event.TypePollRecovered {
				r++
			}
		}
		failing += f
		recovered += r
		if f != runs[id] {
			t.Errorf("%s: %d oms.poll.failing, but its polls failed %d times in a row %d times", id, f, threshold, runs[id])
		}
		for i, typ := range seq {
			want := event.TypePollFailing
			if i%2 == 1 {
				want = event.TypePollRecovered
			}
			if typ != want {
				t.Errorf("%s: poll events %v: want failing, recovered, failing, ... each failing recovered", id, seq)
				break
			}
		}
		if len(seq)%2 != 0 {
			t.Errorf("%s: poll events %v end failing, yet its polls succeed again", id, seq)
		}
		if id != sustained {
			spurious += f
		}
	}
	var stretchFailing, stretchRecovered int
	for _, e := range polls[sustained] {
		switch {
		case e.Type == event.TypePollFailing && !e.Time.Before(stretchStart.Truncate(time.Second)) && !e.Time.After(stretchEnd):
			stretchFailing++
		case e.Type == event.TypePollRecovered && !e.Time.Before(stretchEnd.Truncate(time.Second)):
			stretchRecovered++
		}
	}
	if stretchFailing != 1 || stretchRecovered != 1 {
		t.Errorf("the sustained stretch of %s: %d oms.poll.failing within it and %d oms.poll.recovered after it, want 1 and 1", sustained, stretchFailing, stretchRecovered)
	}

	var reqs []proctest.SimRequest // the random faults' requests: the sustained stretch left out
	for _, r := range log.All() {
		if r.Project == sustained && !r.At.Before(stretchStart) && !r.At.After(stretchEnd) {
			continue
		}
		reqs = append(reqs, r)
	}
	kinds := map[string]int{}
	faulted := 0
	for _, r := range reqs {
		if r.Fault != "" {
			kinds[r.Fault]++
		}
		if faultChanged(r) || r.Fault == "latency" {
			faulted++
		}
	}
	for _, k := range []string{"latency", "timeout", "http500", "http503", "throttle", "business", "truncated", "invalid", "notfound"} {
		if kinds[k] == 0 {
			t.Errorf("fault kind %s never fired", k)
		}
	}
	t.Logf("FIGURE oms-faults: mode=%s projects=%d scenario_time=%s ticks=%d requests=%d faulted=%d (%.1f%%) by_kind=%v "+
		"project_events=%d reference_events=%d false_events=%d missing_events=%d duplicates=%d poll_failing=%d poll_recovered=%d "+
		"sustained_stretches=1 failing_outside_sustained=%d scenario_wall=%s duration=%s",
		pick("fast", "long"), projects, time.Duration(ticks)*step, ticks, len(reqs), faulted, 100*float64(faulted)/float64(max(len(reqs), 1)),
		kinds, len(got), len(want), len(falseEvents), len(missing), dups, failing, recovered, spurious,
		scenarioDone.Sub(started).Round(time.Second), time.Since(started).Round(time.Second))
}

// hasEvent reports whether the audit stream has an event of typ about
// project stamped at or after since (to the second).
func hasEvent(t *testing.T, js jetstream.JetStream, typ, project string, since time.Time) bool {
	if !hasStream(js) {
		return false
	}
	for _, a := range readAudit(t, js) {
		if a.event.Type == typ && a.event.Subject == project && !a.event.Time.Before(since.Truncate(time.Second)) {
			return true
		}
	}
	return false
}

// countRequests counts the DescribeProject requests about project.
func countRequests(log *proctest.SimLog, project string) int {
	n := 0
	for _, r := range log.All() {
		if r.Action == omssim.ActionDescribeProject && r.Project == project {
			n++
		}
	}
	return n
}
