package main

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/service"
	"github.com/omswatch/omswatch/sinks"
)

func checkQuietHours(t *testing.T, r loadedRecipe, blocks []fence) {
	eng := r.eng
	var line string
	for _, b := range blocks {
		if b.lang == "sh" {
			for _, l := range strings.Split(b.body, "\n") {
				if strings.Contains(l, "omswatch silence add") {
					line = l
				}
			}
		}
	}
	if line == "" {
		t.Fatal("the recipe has no omswatch silence add line")
	}
	cron, cmd, _ := strings.Cut(line, "omswatch silence add")
	if f := strings.Fields(cron); len(f) != 5 || f[0] != "0" || f[1] != "22" {
		t.Fatalf("the crontab line %q does not start the silence at 22:00", cron)
	}
	args := shellWords(t, cmd)
	var matchers []string
	var dur string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--duration":
			dur = args[i+1]
			i++
		case strings.HasPrefix(a, "--"):
			i++ // every other flag of silence add takes a value
		default:
			matchers = append(matchers, a)
		}
	}
	d, err := time.ParseDuration(dur)
	if err != nil {
		t.Fatalf("--duration %q: %v", dur, err)
	}
	start := time.Date(2025, 6, 2, 22, 0, 0, 0, time.UTC)
	sil, err := newSilence(matchers, start, d, "", "", "quiet hours", "cron")
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.NewSilences([]rules.Silence{sil})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		ev    sample
		at    time.Time
		muted bool
	}{
		{"a warning at 23:00", suspended(), start.Add(time.Hour), true},
		{"a warning at 06:59", suspended(), start.Add(8*time.Hour + 59*time.Minute), true},
		{"a warning at 07:00", suspended(), start.Add(9 * time.Hour), false},
		{"a failure at 23:00", stepFailed(), start.Add(time.Hour), false},
	}
	for _, tc := range cases {
		e := tc.ev.event()
		e.Time = tc.at
		out, err := eng.Evaluate(rules.Poll{Source: e.Source, Cur: state{}.snapshot(t), Events: []event.Event{e},
			Now: tc.at, Silences: set})
		if err != nil {
			t.Fatal(err)
		}
		if muted := out.Decisions[0].Muted != ""; muted != tc.muted || muted == (len(out.Deliveries) > 0) {
			t.Errorf("%s: muted %v (%q), %d deliveries; want muted %v", tc.name, muted, out.Decisions[0].Muted, len(out.Deliveries), tc.muted)
		}
	}
}

// shellWords splits a command line as sh would, for the quoting the
// cookbook uses (single and double quotes, no escapes).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	var quote rune
	in := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unclosed quote in %q", s)
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// checkOncePer: the same step and code page once per project; another
// code pages again.
func checkOncePer(t *testing.T, r loadedRecipe, _ []fence) {
	eng := r.eng
	var st rules.State
	cur := state{}.snapshot(t)
	for i, tc := range []struct {
		code string
		want []string
	}{
		{"CM-RESOAT1111", []string{"oncall"}},
		{"CM-RESOAT1111", nil},
		{"CM-RESOAT2222", []string{"oncall"}},
		{"CM-RESOAT1111", nil},
	} {
		e := errorRaised(tc.code).event()
		out, err := eng.Evaluate(rules.Poll{Source: e.Source, Cur: cur, Events: []event.Event{e},
			Now: docsT0.Add(time.Duration(i) * time.Minute), State: st})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, de := range out.Deliveries {
			got = append(got, de.Target)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("error %d (%s): sent to %v, want %v", i+1, tc.code, got, tc.want)
		}
		st = out.State
	}
}

// checkGrouping: one notification per project and step within 30 s, and
// on-call's rate limit of 20/h with bursts of 5 spacing the rest 3 minutes
// apart.
func checkGrouping(t *testing.T, r loadedRecipe, _ []fence) {
	eng := r.eng
	add := func(d *sinks.Grouping, s sample) {
		e := s.event()
		dec, err := eng.Route(e)
		if err != nil {
			t.Fatal(err)
		}
		d.Add(e.Time, service.Deliveries(dec.Deliveries))
	}
	d := service.NewGrouping(r.cfg)
	full := func(at time.Duration) sample {
		s := suspended()
		s.fields = map[string]any{"step": "FULL_TRANSFER"}
		s.at = at
		return s
	}
	add(d, full(0))
	add(d, full(5*time.Second))
	add(d, full(20*time.Second))
	incr := full(time.Second)
	incr.fields = map[string]any{"step": "INCR_TRANSFER"}
	add(d, incr)
	if n := d.Due(docsT0.Add(29 * time.Second)); len(n) != 0 {
		t.Errorf("%d notifications before group_wait", len(n))
	}
	got := d.Due(docsT0.Add(31 * time.Second))
	if len(got) != 2 || len(got[0].Events) != 3 || len(got[1].Events) != 1 || got[0].Target != "oncall" {
		t.Fatalf("want a notification of 3 events (FULL_TRANSFER) and one of 1 (INCR_TRANSFER) to oncall; got %d: %+v", len(got), got)
	}

	// Seven projects at once: five go at group_wait, then one every 3 minutes.
	d = service.NewGrouping(r.cfg)
	t1 := docsT0.Add(time.Hour)
	for i := range 7 {
		s := suspended()
		s.project = "np_" + strconv.Itoa(i)
		s.at = time.Hour
		add(d, s)
	}
	steps := []struct {
		at   time.Duration
		want int
	}{{30 * time.Second, 5}, {3*time.Minute + 29*time.Second, 0}, {3*time.Minute + 30*time.Second, 1}, {6*time.Minute + 30*time.Second, 1}}
	for _, s := range steps {
		if n := d.Due(t1.Add(s.at)); len(n) != s.want {
			t.Errorf("at +%s: %d notifications due, want %d", s.at, len(n), s.want)
		}
	}
}

// checkQuietAlarms: an OMS alarm of a FAILED project is muted, one of a
// running project goes to on-call.
func checkQuietAlarms(t *testing.T, r loadedRecipe, _ []fence) {
	alarm := sample{typ: event.TypeAlarmTriggered, sev: event.Warning,
		fields: map[string]any{"rules": map[string]any{"oms_sync_delay": 1}, "count": 1, "content": "delay 90s"}}
	for _, tc := range []struct {
		name  string
		snap  state
		muted bool
	}{
		{"failed", state{status: "FAILED", incr: "FAILED", delay: 90}, true},
		{"a step failed", state{incr: "FAILED", delay: 90}, true},
		{"running", state{delay: 90}, false},
	} {
		e := alarm.event()
		out, err := r.eng.Evaluate(rules.Poll{Source: e.Source, Cur: tc.snap.snapshot(t), Events: []event.Event{e}, Now: docsT0})
		if err != nil {
			t.Fatal(err)
		}
		d := out.Decisions[0]
		if muted := d.Muted != ""; muted != tc.muted || (!muted && !reflect.DeepEqual(targetsOfDeliveries(d), []string{"oncall"})) {
			t.Errorf("%s: muted %q, sent to %v; want muted %v", tc.name, d.Muted, targetsOfDeliveries(d), tc.muted)
		}
	}
}

func targetsOfDeliveries(d rules.Decision) []string {
	var out []string
	for _, de := range d.Deliveries {
		out = append(out, de.Target)
	}
	return out
}
