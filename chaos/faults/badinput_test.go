package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
)

// located is a message that names its file, line and column.
var located = regexp.MustCompile(`^[^:\s]+\.yaml:[1-9][0-9]*:[1-9][0-9]*: \S`)

// corpusEnv leaves the variables the corpus expects unset unset.
func corpusEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OMSWATCH_CORPUS_") {
			env = append(env, kv)
		}
	}
	return env
}

// checkRejected asserts an invalid configuration's rejection: exit 2,
// every message located (file:line:column), no panic. validate ends with
// a count of the problems; run prefixes the first with "omswatch: ".
// It returns the messages.
func checkRejected(t *testing.T, cmd, what string, code int, stdout, stderr string) []string {
	t.Helper()
	what = cmd + " " + what
	if code != 2 {
		t.Errorf("%s: exit %d, want 2\nstderr:\n%s", what, code, proctest.Tail(stderr, 2000))
	}
	noPanic(t, what, stdout+stderr)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if cmd == "validate" {
		if len(lines) < 2 || !regexp.MustCompile(`^omswatch: .*: [0-9]+ problems?$`).MatchString(lines[len(lines)-1]) {
			t.Errorf("%s: stderr %q: want the problems, then \"omswatch: FILE: N problems\"", what, stderr)
			return nil
		}
		lines = lines[:len(lines)-1]
	} else {
		lines[0] = strings.TrimPrefix(lines[0], "omswatch: ")
	}
	for _, l := range lines {
		if !located.MatchString(l) {
			t.Errorf("%s: message without file:line:column: %q", what, l)
		}
	}
	return lines
}

// Scenario 7a: every file of the invalid configuration corpus, through
// `omswatch validate` and `omswatch run` (real processes): exit 2, every
// problem of the file's .err at its file:line:column, no panic, and run
// starts nothing.
func TestInvalidConfigCorpus(t *testing.T) {
	t.Parallel()
	started := time.Now()
	dir := filepath.Join(moduleRoot, "testdata", "config", "invalid")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) < 50 {
		t.Fatalf("the corpus has %d files (%v)", len(files), err)
	}
	env := corpusEnv()
	messages := 0
	for _, path := range files {
		f := filepath.Base(path)
		want, err := os.ReadFile(path + ".err")
		if err != nil {
			t.Fatal(err)
		}
		wantLines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
		for _, cmd := range []string{"validate", "run"} {
			code, out, errOut := runIn(t, dir, env, cmd, "--config", f)
			got := checkRejected(t, cmd, f, code, out, errOut)
			if strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
				t.Errorf("%s %s: problems\n%s\nwant (%s.err)\n%s", cmd, f, strings.Join(got, "\n"), f, strings.Join(wantLines, "\n"))
			}
			if cmd == "validate" && out != "" {
				t.Errorf("validate %s: stdout %q", f, out)
			}
			messages += len(got)
		}
	}
	t.Logf("FIGURE bad-config: files=%d runs=%d messages=%d exit2=all panics=0 duration=%s",
		len(files), 2*len(files), messages, time.Since(started).Round(time.Millisecond))
}

// runIn runs the binary in dir with exactly env; it returns exit status,
// stdout and stderr.
func runIn(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := newCmd(dir, env, args...)
	var stdout, stderr bytes.Buffer // read once it exited
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s in %s did not exit within a minute", strings.Join(args, " "), dir)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// Scenario 7b: invalid rules (expression typos and syntax errors, unknown
// targets, types and fields, bad templates and regular expressions) are
// refused by validate and run alike, each at its line.
func TestInvalidRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, rules string
		want        []string // in the messages, in order
	}{
		{"expression typo", `  routes:
    - when: 'event.Severty == "critical"'
      to: [log]
`, []string{`rules.routes[0].when`}},
		{"expression syntax", `  routes:
    - when: 'event.Severity == '
      to: [log]
`, []string{`rules.routes[0].when`}},
		{"expression not a bool", `  routes:
    - when: 'event.Type'
      to: [log]
`, []string{`rules.routes[0].when`}},
		{"unknown target", `  routes:
    - match: {types: [oms.step.*]}
      to: [logg]
  default_to: [pager]
`, []string{`unknown target "logg"`, `unknown target "pager"`}},
		{"unknown event type", `  routes:
    - match: {types: [oms.stpe.*]}
      to: [log]
`, []string{`rules.routes[0].match.types[0]`}},
		{"bad regexp", `  routes:
    - match: {names: ["~prod-("]}
      to: [log]
`, []string{`rules.routes[0].match.names[0]`}},
		{"condition expression typo", `  conditions:
    - name: lag
      expr: 'project.SyncDelay > duration(60s)'
`, []string{`rules.conditions[0].expr`}},
		{"condition value typo", `  conditions:
    - name: lag
      expr: 'project.SyncDelayKnown'
      value: 'project.SyncDelya'
`, []string{`rules.conditions[0].value`}},
		{"once_per not a string", `  routes:
    - name: once
      once_per: 'event.Time'
      to: [log]
`, []string{`rules.routes[0].once_per`}},
		{"template syntax", `  routes:
    - name: t
      to: [log]
      template:
        default: "{{.Project.Name"
`, []string{`rules.routes[0].template`}},
		{"inhibit of an unknown condition expression", `  inhibit:
    - name: mute
      source_when: 'project.Failled()'
      target: {types: [oms.condition.firing]}
`, []string{`rules.inhibit[0].source_when`}},
	}
	dir := t.TempDir()
	for i, tc := range cases {
		f := fmt.Sprintf("rules-%02d.yaml", i+1)
		proctest.WriteFile(t, filepath.Join(dir, f), "rules:\n%s", tc.rules)
		for _, cmd := range []string{"validate", "run"} {
			code, out, errOut := runIn(t, dir, os.Environ(), cmd, "--config", f)
			got := checkRejected(t, cmd, tc.name, code, out, errOut)
			text := strings.Join(got, "\n")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s %s: no %q in\n%s", cmd, tc.name, w, text)
				}
			}
		}
	}
	t.Logf("FIGURE bad-rules: cases=%d runs=%d exit2=all located=all panics=0", len(cases), 2*len(cases))
}

// hostileText is what a hostile OMS puts in names and error messages:
// Slack mentions and links, Go template syntax, HTML, control characters
// and invalid UTF-8.
const hostileText = "<!channel> <!here> <https://evil.example|click> {{.}} {{.ID}} {{template \"x\"}} <b>&amp;</b> \x1b[31m \xff\xfe\xfd"

// hostile serves a generator's projects with hostile content: the first
// project's name and every error message are hostileText, the second's
// name and error messages are 10 MB strings, the third carries JSON
// nested 9,000 levels deep (Go's decoder stops at 10,000).
type hostile struct {
	g         *omssim.Generator
	ids       []string
	big       string
	describes atomic.Int64 // DescribeProject calls about the first project
}

func (h *hostile) Projects(m omssim.Moment) []omssim.ProjectInfo {
	ps := h.g.Projects(m)
	for i := range ps {
		switch ps[i].ID {
		case h.ids[0]:
			ps[i].Name = hostileText
		case h.ids[1]:
			ps[i].Name = h.big
		}
	}
	return ps
}

func (h *hostile) Time(m omssim.Moment) time.Time { return h.g.Time(m) }

func (h *hostile) Describe(m omssim.Moment, id string, d omssim.Detail) (omssim.Described, bool) {
	switch {
	case id == h.ids[1]:
		m.Tick = bigFailing + m.Tick%4 // always failing: its error messages are 10 MB too
	case id == h.ids[0] && d == omssim.Full:
		// Its story moves a tick every second DescribeProject, however
		// slowly omswatch polls: running (6-9), failed (10-13), again.
		n := h.describes.Add(1) - 1
		m.Tick = 6 + (n/2)%8
	case id == h.ids[0]:
		m.Tick = 6 + ((h.describes.Load()-1)/2)%8
	}
	r, ok := h.g.Describe(m, id, d)
	if !ok || r.Failure != nil {
		return r, ok
	}
	var text string
	switch id {
	case h.ids[0]:
		text = hostileText
	case h.ids[1]:
		text = h.big
	case h.ids[2]:
		depth := 9000 - int(m.Tick%2)*100 // it changes every tick
		nested := strings.Repeat("[", depth) + `"deep"` + strings.Repeat("]", depth)
		b := append(r.Data[:len(r.Data)-1:len(r.Data)-1], []byte(`,"Hostile":`+nested+`}`)...)
		return omssim.Described{Data: b}, true
	default:
		return r, ok
	}
	var doc map[string]any
	if err := json.Unmarshal(r.Data, &doc); err != nil {
		panic(err)
	}
	doc["Name"] = text
	replaceMessages(doc, text)
	b, err := marshalRaw(doc)
	if err != nil {
		panic(err)
	}
	return omssim.Described{Data: b}, true
}

// bigFailing is the first of the four ticks the second project of the
// generator (seed 3, full-fail-resume) is FAILED at, with error messages;
// the first is FAILED at ticks 10 to 13.
const bigFailing = 27

// replaceMessages sets every non-empty error text in v to text.
func replaceMessages(v any, text string) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && s != "" && (k == "Message" || k == "ErrorMsg" || k == "Reason" || k == "Proposal" || k == "Content") {
				t[k] = text
				continue
			}
			replaceMessages(x, text)
		}
	case []any:
		for _, x := range t {
			replaceMessages(x, text)
		}
	}
}

// marshalRaw encodes like the simulator (no HTML escaping) and puts the
// invalid UTF-8 of hostileText back, which encoding/json would replace.
func marshalRaw(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	s := strings.TrimSuffix(b.String(), "\n")
	return []byte(strings.ReplaceAll(s, `\ufffd\ufffd\ufffd`, "\xff\xfe\xfd")), nil
}

// Scenario 7c: hostile OMS content served by the simulator to `omswatch
// run` with a Slack target: no panic, the process stays up and keeps
// polling, Slack gets the hostile text escaped (no mention, no link, no
// template evaluated), errors about what cannot be handled are logged, and
// the peak memory stays bounded.
func TestHostileOMSContent(t *testing.T) {
	t.Parallel()
	started := time.Now()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 3, Projects: 4, Template: "full-fail-resume", Step: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const bigSize = 10 << 20
	h := &hostile{g: g, ids: g.IDs(), big: strings.Repeat("A", bigSize)}
	simReqs := &proctest.SimLog{}
	sim, simURL := startSim(t, omssim.Options{Scenario: h, Seed: 3, Tick: 2 * time.Second, ManualClock: true}, simReqs)
	ns, js := proctest.StartNATS(t)
	slack := startFakeSlack(t)
	dir := t.TempDir()
	cfg := runConfig(t, dir, simURL, ns.ClientURL(), fmt.Sprintf(`schedule:
  default: "@every 1s"
  jitter: 0s
discovery:
  list:
    enabled: true
    refresh: "@every 5s"
  mode: describe_always
  # Each first sighting as its own message: the fake Slack counts
  # messages per event.
  announce: each
slack:
  token: xoxb-chaos-faults-token
  api_url: %s
  rate_limit: 20/s
  targets:
    slack-a:
      channel: "#chaos-a"
rules:
  default_to: [slack-a, log]
  group_wait: 0s
`, slack.apiURL()))
	// As deploy/kubernetes runs it: a 512 MiB container whose limit is
	// the Go runtime's GOMEMLIMIT.
	const containerLimit = 512 << 20
	c := startChild(t, "run", dir, []string{fmt.Sprintf("GOMEMLIMIT=%d", containerLimit)},
		"run", "--config", cfg, "--log-format", "json", "--format", "json")
	addr := c.HTTPAddr(addrTimeout)

	// The clock moves a tick every 500ms. The peak is read once the 10
	// MB project was described `polls` times, and again after as many
	// more: the same content, twice the polls. Only describes omswatch
	// read count: on a busy machine the first may time out (the in-test
	// simulator, under the race detector, takes seconds to write 50 MB),
	// and a peak before any was read says nothing. Failed polls are
	// nearly all the big project's: the others answer at once.
	bigPolls := func() int { return countRequests(simReqs, h.ids[1]) }
	bigRead := func() int {
		_, body := proctest.GetWithin(5*time.Second, addr, "/metrics")
		failed, _ := proctest.MetricValue(body, "omswatch_polls_total", `result="failed"`)
		return bigPolls() - int(failed)
	}
	// A describe the simulator served may still be in omswatch's hands
	// (under the race detector, canonicalising 50 MB takes seconds), and
	// the heaviest thing a poll of the big project builds is a change
	// event (old and new 10 MB texts in its changes, then stored without
	// them): the first peak counts once one was built, and the second
	// after `polls` more describes read.
	changeEventBuilt := func() bool {
		for _, l := range c.LogLines() {
			if l["project"] == h.ids[1] && l["msg"] == "event larger than the server's max_payload: stored without its changes" {
				return true
			}
		}
		return false
	}
	polls := pick(4, 12)
	var peakMid int64
	readMid, ticks := 0, 0
	deadline := time.Now().Add(5 * time.Minute)
	for read := 0; peakMid == 0 || read < readMid+polls || ticks < pick(40, 120); read = bigRead() {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 minutes: the 10 MB project read %d times (%d describes), a change event of it built: %v; want %d reads after that",
				read, bigPolls(), peakMid > 0, polls)
		}
		time.Sleep(500 * time.Millisecond)
		sim.Advance(1)
		ticks++
		if c.Exited() {
			t.Fatalf("omswatch exited with %d during the hostile scenario", c.ExitCode())
		}
		c.readPeakRSS()
		if peakMid == 0 && read >= polls && changeEventBuilt() {
			peakMid, readMid = c.peakRSS, read
		}
	}
	proctest.Eventually(t, 3*time.Minute, "a Slack reply with the hostile project's error", func() bool {
		if c.Exited() {
			t.Fatalf("omswatch exited with %d during the hostile scenario", c.ExitCode())
		}
		c.readPeakRSS()
		for _, r := range slack.replies() {
			if strings.Contains(r.text, ":x:") && strings.Count(r.text, "&lt;!channel&gt;") >= 2 {
				return true
			}
		}
		return false
	})
	code, body := proctest.GetWithin(10*time.Second, addr, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	pollsTotal, _ := proctest.MetricValue(body, "omswatch_polls_total")
	rss, _ := proctest.MetricValue(body, "process_resident_memory_bytes")
	peak := c.readPeakRSS()
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(2 * time.Minute); code != 0 {
		t.Errorf("run exit %d after SIGTERM", code)
	}
	stderr := c.Stderr()
	noPanic(t, "run", stderr+c.Stdout())

	// No injection: every request to Slack, text and blocks, has the
	// hostile text escaped and templates left as text.
	var calls []slackCall
	injections, escaped, templatesKept := 0, 0, 0
	for _, cl := range slack.all() {
		calls = append(calls, cl)
		for _, s := range []string{cl.text, cl.blocks} {
			for _, bad := range []string{"<!channel>", "<!here>", "<https://evil.example|click>", "<b>"} {
				if strings.Contains(s, bad) {
					injections++
					t.Errorf("%s to Slack carries %q unescaped: %.300q", cl.method, bad, s)
				}
			}
			if strings.Contains(s, "&lt;!channel&gt;") && strings.Contains(s, "&lt;https://evil.example|click&gt;") {
				escaped++
			}
			if strings.Contains(s, "{{.ID}}") && strings.Contains(s, "{{.}}") {
				templatesKept++
			}
			if strings.Contains(s, h.ids[0]+" {{") {
				t.Errorf("a template in the name was evaluated: %.300q", s)
			}
		}
	}
	errorReplies := 0 // oms.step.error_raised: the hostile error message, escaped, beside the name
	for _, r := range slack.replies() {
		if strings.Contains(r.text, ":x:") && strings.Count(r.text, "&lt;!channel&gt;") >= 2 {
			errorReplies++
		}
	}
	if errorReplies == 0 {
		t.Errorf("no Slack reply with the hostile project's error message escaped")
	}
	if escaped == 0 || templatesKept == 0 {
		t.Errorf("no Slack request shows the hostile name escaped (%d) with its template syntax as text (%d)", escaped, templatesKept)
	}
	var biggest int
	for _, cl := range calls {
		biggest = max(biggest, len(cl.text), len(cl.blocks))
	}

	// The audit trail and the log target keep the hostile text as data.
	audit := readAudit(t, js)
	hostileEvents := 0
	for _, a := range audit {
		if a.event.Subject == h.ids[0] {
			hostileEvents++
		}
	}
	if hostileEvents == 0 {
		t.Errorf("no event about the hostile project in the audit stream")
	}
	// Every project is watched, whatever its content; what cannot be
	// handled is an error in the log, not a crash.
	var errorsLogged []string
	for _, l := range c.LogLines() {
		if l["level"] == "ERROR" || l["level"] == "WARN" {
			msg := fmt.Sprint(l["msg"], ": ", l["error"])
			errorsLogged = append(errorsLogged, fmt.Sprintf("%.200s", msg))
		}
	}
	bigEvents, deepEvents := 0, 0
	for _, a := range audit {
		switch a.event.Subject {
		case h.ids[1]:
			bigEvents++
		case h.ids[2]:
			deepEvents++
		}
	}
	// Memory is bounded: it does not grow with polls (twice the polls of
	// the same content may not raise the peak by half),
	// and it is linear in the largest answer, about 50 MB here (a 10 MB
	// name and four 10 MB error texts). What a poll of it holds at once,
	// measured in process: the body (1x), the snapshot's tree and
	// canonical JSON (2.5x), the discovered event's JSON (Data's own
	// encoding, encoding/json's copy of it and the buffer grown by
	// doubling: 5x), the same event without its changes for the outbox's
	// second try, and the API's reuse cache keeping the last snapshot
	// (2.5x): about 12x; the bound is 16x plus the 64 MiB the process
	// needs without it. The shipped deployment's limit (512 MiB, also
	// GOMEMLIMIT here) is reported, not asserted: it is below that.
	largest := 0
	for tick := int64(0); tick < 4; tick++ {
		d, _ := h.Describe(omssim.Moment{Tick: tick}, h.ids[1], omssim.Full)
		largest = max(largest, len(d.Data))
	}
	bound := int64(64<<20) + 16*int64(largest)
	if peak > bound {
		t.Errorf("peak RSS %d MiB, over %d MiB (64 MiB + 16 x the largest answer, %d MiB)", peak>>20, bound>>20, largest>>20)
	}
	if peak > peakMid*3/2 {
		t.Errorf("peak RSS rose from %d MiB after %d describes of the 10 MB project read to %d MiB after %d: memory grows with polls", peakMid>>20, readMid, peak>>20, bigRead())
	}
	// What cannot be stored is a clear error naming the limit, not a
	// crash; the deeply nested project is watched like any other.
	tooBig := false
	for _, e := range errorsLogged {
		tooBig = tooBig || strings.Contains(e, "over the server's max_payload")
	}
	if bigEvents == 0 && !tooBig {
		t.Errorf("the 10 MB project made no event and no error saying why")
	}
	if deepEvents == 0 {
		t.Errorf("no event about the deeply nested project")
	}
	uniqueErrors := map[string]int{}
	for _, e := range errorsLogged {
		uniqueErrors[e]++
	}
	for e, n := range uniqueErrors {
		t.Logf("logged %dx: %s", n, e)
	}
	t.Logf("FIGURE hostile-oms: mode=%s ticks=%d polls=%.0f big_project_describes=%d events=%d hostile_project_events=%d big_project_events=%d deep_project_events=%d "+
		"slack_requests=%d injections=%d escaped_requests=%d error_replies_escaped=%d templates_kept_as_text=%d biggest_slack_request=%dB errors_logged=%d panics=0 "+
		"largest_answer=%dMiB peak_rss=%dMiB peak_rss_after_half_the_polls=%dMiB rss_metric=%.0fMiB bound=%dMiB deploy_limit=%dMiB within_deploy_limit=%t duration=%s",
		pick("fast", "long"), ticks, pollsTotal, bigPolls(), len(audit), hostileEvents, bigEvents, deepEvents, len(calls), injections, escaped, errorReplies, templatesKept,
		biggest, len(errorsLogged), largest>>20, peak>>20, peakMid>>20, rss/(1<<20), bound>>20, containerLimit>>20, peak <= containerLimit, time.Since(started).Round(time.Second))
}
