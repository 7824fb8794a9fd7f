package omssim

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
)

var update = flag.Bool("update", false, "rewrite testdata/recordings from the generator")

// shippedStories are the recordings in testdata/recordings: each is one
// generated project telling its story once, a tick a minute.
var shippedStories = []struct{ file, template string }{
	{"mysql-to-ob-migration.jsonl", TemplateMigration},
	{"incr-lag-fail-recover.jsonl", TemplateLagFailRecover},
	{"alarm-fires-and-clears.jsonl", TemplateAlarm},
}

func storyRecording(t *testing.T, template string) []byte {
	t.Helper()
	g := testGenerator(t, GeneratorOptions{Seed: 1, Projects: 1, Template: template, MinTables: 2, MaxTables: 2, Step: time.Minute})
	from, ticks := g.Story()
	var buf bytes.Buffer
	err := WriteRecording(&buf, g, RecordOptions{From: from, Ticks: ticks, Tick: time.Minute, Seed: 1,
		Source: "omssim://generator/" + template + "?seed=1"})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestShippedRecordings(t *testing.T) {
	for _, s := range shippedStories {
		t.Run(s.file, func(t *testing.T) {
			path := filepath.Join("..", "..", "testdata", "recordings", s.file)
			want := storyRecording(t, s.template)
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./oms/omssim -run TestShippedRecordings -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s differs from the generator's output: the generator changed; review and rerun with -update", s.file)
			}
			if len(got) > 300_000 {
				t.Errorf("%s is %d bytes, keep it under 300 KB", s.file, len(got))
			}
			obs, err := ReadRecording(bytes.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := NewReplay(obs, ReplayOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// generatedRecording records a 3-project generator for ticks [0, 30).
func generatedRecording(t *testing.T, sp oms.Spelling) (*Generator, []Observation) {
	t.Helper()
	g := testGenerator(t, GeneratorOptions{Seed: 6, Projects: 3, MaxTables: 4, Step: time.Minute})
	var buf bytes.Buffer
	if err := WriteRecording(&buf, g, RecordOptions{Ticks: 30, Tick: time.Minute, Spelling: sp, Source: "omssim://test"}); err != nil {
		t.Fatal(err)
	}
	obs, err := ReadRecording(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 90 {
		t.Fatalf("%d observations, want 3 projects × 30 ticks", len(obs))
	}
	return g, obs
}

// sameData reports whether two PascalCase Data objects hold the same JSON.
func sameData(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func TestReplayByStep(t *testing.T) {
	for _, sp := range []oms.Spelling{oms.Cloud, oms.OnPrem} {
		g, obs := generatedRecording(t, sp)
		r, err := NewReplay(obs, ReplayOptions{Mode: ReplayStep})
		if err != nil {
			t.Fatal(err)
		}
		for _, tick := range []int64{0, 5, 29, 45} {
			for _, id := range g.IDs() {
				got, ok := r.Describe(Moment{Tick: tick}, id, Full)
				want, _ := g.Describe(Moment{Tick: min(tick, 29)}, id, Full)
				if !ok || !sameData(t, got.Data, want.Data) {
					t.Fatalf("%s tick %d %s: replay differs from the generator", sp, tick, id)
				}
			}
		}
		if got := len(r.Projects(Moment{Tick: 3})); got != 3 {
			t.Fatalf("%d projects listed, want 3", got)
		}
	}
}

func TestReplayByTimeOverHTTP(t *testing.T) {
	g, obs := generatedRecording(t, oms.OnPrem)
	r, err := NewReplay(obs, ReplayOptions{Mode: ReplayTime, Speed: 60})
	if err != nil {
		t.Fatal(err)
	}
	// The injected clock also checks the SDK's signature timestamps, so it
	// starts at the real time and never runs 15 minutes ahead.
	now := time.Now()
	clock := now
	ts := StartTest(t, Options{Scenario: r, Tick: time.Second, Now: func() time.Time { return clock }})
	c := sdkClient(t, ts.Endpoint, DemoAccessKeyID, DemoAccessKeySecret, false)
	for _, tc := range []struct {
		elapsed time.Duration
		tick    int64
	}{{0, 0}, {10*time.Second + 500*time.Millisecond, 10}, {29 * time.Second, 29}, {10 * time.Minute, 29}} {
		clock = now.Add(tc.elapsed) // 1 s of server time = 1 recorded minute = 1 tick
		id := g.IDs()[1]
		body, err := callSDK(c, ActionDescribeProject, map[string]any{"Id": id}, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(body["Data"])
		want, _ := g.Describe(Moment{Tick: tc.tick}, id, Full)
		if !sameData(t, got, want.Data) {
			t.Fatalf("after %s: served data is not the recording's tick %d", tc.elapsed, tc.tick)
		}
	}
}

func TestReplayAppearanceAndFailures(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := func(id, status string) json.RawMessage {
		return json.RawMessage(`{"Success":true,"RequestId":"r","Data":{"Id":"` + id + `","Name":"n_` + id + `","Type":"SYNC","Status":"` + status + `","TransferMapping":{"Mode":"SPECIFIC"}}}`)
	}
	failed := json.RawMessage(`{"success":false,"code":"GHANA-OPERAT000001","message":"CM service may be not available","errorDetail":{"code":"X-1","level":"ERROR"}}`)
	obs := []Observation{
		{Time: base, Project: "np_a", Response: ok("np_a", "RUNNING")},
		{Time: base.Add(time.Minute), Project: "np_a", Response: failed},
		{Time: base.Add(5 * time.Minute), Project: "np_b", Response: ok("np_b", "FAILED")},
	}
	r, err := NewReplay(obs, ReplayOptions{Mode: ReplayTime})
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) Moment { return Moment{Elapsed: d} }
	if list := r.Projects(at(2 * time.Minute)); len(list) != 1 || list[0].ID != "np_a" || list[0].Status != "RUNNING" {
		t.Fatalf("at 2m listed %+v, want np_a as last seen RUNNING", list)
	}
	if d, ok := r.Describe(at(2*time.Minute), "np_a", Full); !ok || d.Failure == nil || d.Failure.Code != "GHANA-OPERAT000001" || d.Failure.Detail.Code != "X-1" {
		t.Fatalf("at 2m np_a served %+v, want the recorded failure", d)
	}
	if _, ok := r.Describe(at(2*time.Minute), "np_b", Full); ok {
		t.Fatal("np_b exists before its first observation")
	}
	if d, ok := r.Describe(at(6*time.Minute), "np_b", Related); !ok || bytes.Contains(d.Data, []byte("TransferMapping")) {
		t.Fatalf("np_b related: %s, want it without TransferMapping", d.Data)
	}
}

func TestReadRecordingErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"time":"2025-01-01T00:00:00Z","project":"np_a","response":{}}` + "\n" + `{"time":"x"}`, "recording line 2"},
		{`{"time":"2025-01-01T00:00:00Z","response":{}}`, `"project" is missing`},
		{`{"project":"np_a","response":{}}`, `"time" is missing`},
		{`{"time":"2025-01-01T00:00:00Z","project":"np_a","response":[1]}`, `"response" must be a JSON object`},
	}
	for _, tc := range cases {
		_, err := ReadRecording(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadRecording(%.40q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	obs, err := ReadRecording(strings.NewReader("\n" + `{"time":"2025-01-01T00:00:00Z","project":"np_a","response":{}}` + "\n\n"))
	if err != nil || len(obs) != 1 {
		t.Fatalf("blank lines: %v, %d observations", err, len(obs))
	}
}
