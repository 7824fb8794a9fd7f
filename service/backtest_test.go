package service

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/rules/kvstate"
)

// backtestRules is the configuration of the run and of the backtests: a
// sync delay condition whose threshold the cases change.
func backtestRules(threshold, forDelay string) string {
	return `oms: {mode: sim}
store:
  dir: unused
rules:
  conditions:
    - name: incr_delay
      while: 'project.Status == "RUNNING" && phase("incr").Status in ["RUNNING", "MONITORING"] && project.SyncDelayKnown'
      expr: 'project.SyncDelay > duration("` + threshold + `")'
      value: 'project.SyncDelay'
      for: ` + forDelay + `
`
}

// simRun polls the simulator's projects twice a simulated minute (the
// second poll quiet) through the real pipeline (rules, outbox, observation
// log on an embedded NATS), and returns the stream they were stored in.
func simRun(ctx context.Context, t *testing.T, doc string) (jetstream.JetStream, []string) {
	t.Helper()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 7, Projects: 2, Template: omssim.TemplateLagFailRecover,
		Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	from, ticks := g.Story()
	// A silence mutes the first project's delay condition for the whole
	// run: the backtest replays the stored silences too.
	silence := func(d *delivery, js jetstream.JetStream) {
		b, err := kvstate.NewSilences(ctx, js, kvstate.Options{Bucket: "omswatch-silences"})
		if err != nil {
			t.Fatal(err)
		}
		start := g.Time(omssim.Moment{Tick: from})
		if err := b.Put(ctx, rules.Silence{ID: "maint", StartsAt: start, EndsAt: start.Add(24 * time.Hour), CreatedBy: "dba",
			Matchers: []rules.Matcher{{Name: "project", Op: "=", Value: g.IDs()[0]}, {Name: "rule", Op: "=", Value: "incr_delay"}}}); err != nil {
			t.Fatal(err)
		}
		for d.currentSilences() == nil || d.currentSilences().Len() == 0 {
			select { // the watcher picks it up
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return pollSim(ctx, t, doc, simPolls{ids: g.IDs(), polls: 2 * ticks, t0: g.Time(omssim.Moment{Tick: from}), setup: silence,
		at: func(id string, i int64) *oms.Snapshot { return simSnapshot(t, g, id, from+i/2) }}), g.IDs()
}

// A real run's history replayed with its own rules sends what was sent;
// with a lower threshold the backtest lists the firings it would add (and
// no others), with a higher one those it would remove.
func TestBacktestFromHistory(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	js, ids := simRun(ctx, t, backtestRules("480s", "2m"))
	for _, tc := range []struct {
		name, threshold, forDelay string
		project                   string
		since                     time.Time
		added, removed, changed   bool
		golden                    string
	}{
		{name: "same rules", threshold: "480s", forDelay: "2m", golden: "same.txt"},
		{name: "lower threshold", threshold: "300s", forDelay: "2m", added: true, changed: true, golden: "lower.txt"},
		{name: "higher threshold", threshold: "86400s", forDelay: "2m", removed: true},
		// The firings before --since are not listed; the history before it
		// still brings the conditions' state up to date.
		{name: "lower threshold, since", threshold: "300s", forDelay: "2m", since: time.Date(2025, 6, 1, 8, 35, 0, 0, time.UTC),
			changed: true},
		{name: "lower threshold, one project", threshold: "300s", forDelay: "2m", project: ids[1], added: true, changed: true},
		// Firing 30 s earlier is at a quiet poll the log kept only as a time.
		{name: "shorter for", threshold: "480s", forDelay: "90s", changed: true, golden: "shorter_for.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load([]byte(backtestRules(tc.threshold, tc.forDelay)), "new.yaml")
			if err != nil {
				t.Fatal(err)
			}
			eng, err := BuildRules(cfg)
			if err != nil {
				t.Fatal(err)
			}
			bt, err := backtest(ctx, js, cfg, eng, BacktestQuery{Project: tc.project, Since: tc.since})
			if err != nil {
				t.Fatal(err)
			}
			projects := len(ids)
			if tc.project != "" {
				projects = 1
			}
			if bt.Projects != projects || bt.Sent == 0 || len(bt.Gaps) > 0 || len(bt.ExpressionErrors) > 0 {
				t.Fatalf("replayed %d projects, %d sent, gaps %v, errors %v", bt.Projects, bt.Sent, bt.Gaps, bt.ExpressionErrors)
			}
			var out bytes.Buffer
			if err := WriteBacktest(&out, bt, "text", NewDryRun(cfg)); err != nil {
				t.Fatal(err)
			}
			if (len(bt.Added) > 0) != tc.added || (len(bt.Removed) > 0) != tc.removed || (len(bt.Changed) > 0) != tc.changed {
				t.Fatalf("added %d, removed %d, changed %d:\n%s", len(bt.Added), len(bt.Removed), len(bt.Changed), out.Bytes())
			}
			diffs := append(bt.Added, bt.Removed...)
			for _, c := range bt.Changed {
				diffs = append(diffs, c.Was, c.Now)
			}
			for _, s := range diffs {
				if s.Event.Subject == ids[0] {
					t.Errorf("a difference of the silenced project: %s", event.Summary(s.Event))
				}
				if s.Event.Time.Before(tc.since) {
					t.Errorf("a difference before --since: %s", event.Summary(s.Event))
				}
				if tc.project != "" && s.Event.Subject != tc.project {
					t.Errorf("a difference of another project: %s", event.Summary(s.Event))
				}
				if !strings.HasPrefix(s.Event.Type, "oms.condition.") || s.Event.Data.Fields["rule"] != "incr_delay" {
					t.Errorf("a difference that is not the delay condition's: %s", event.Summary(s.Event))
				}
			}
			if tc.golden == "" {
				return
			}
			golden(t, filepath.Join("testdata", "backtest", tc.golden), out.Bytes())
		})
	}
}

// golden compares got with the file, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if updating() {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to rewrite it):\n%s", name, got)
	}
}
