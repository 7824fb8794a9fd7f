package faults

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
)

// slackFault is how the fake Slack answers a request.
type slackFault string

const (
	answerOK      slackFault = "ok"
	answer429     slackFault = "429"     // 429 with Retry-After
	answer500     slackFault = "500"     // HTTP 500
	answerTimeout slackFault = "timeout" // held past the client's timeout, never answered
	answerDown    slackFault = "down"    // the outage: 503, or the connection dropped
)

// slackCall is one request the fake Slack received.
type slackCall struct {
	method, channel, threadTS, ts, text string
	blocks                              string // as Slack reads it: JSON's \u003c escapes undone
	arrived, answered                   time.Time
	answer                              slackFault
	retryAfter                          time.Duration
}

// fakeSlack speaks chat.postMessage and chat.update of Slack's Web API and
// answers with the fault the test sets: the next N requests, or every
// request while down.
type fakeSlack struct {
	mu         sync.Mutex
	calls      []slackCall
	next       []slackFault // the answers of the next requests, in order
	retryAfter time.Duration
	down       bool
	nextTS     int
	srv        *httptest.Server
}

func startFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{nextTS: 100000}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) apiURL() string { return f.srv.URL + "/api/" }

// channelIDs are the ids the fake answers with for the channels' names.
var channelIDs = map[string]string{"#chaos-a": "CCHAOSA01", "#chaos-b": "CCHAOSB01"}

// channelName is a channel's name, whether given by name or by id.
func channelName(ch string) string {
	for name, id := range channelIDs {
		if ch == id {
			return name
		}
	}
	return ch
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	c := slackCall{method: strings.TrimPrefix(r.URL.Path, "/api/"), arrived: time.Now()}
	_ = r.ParseForm()
	c.channel, c.threadTS, c.ts, c.text = channelName(r.FormValue("channel")), r.FormValue("thread_ts"), r.FormValue("ts"), r.FormValue("text")
	c.blocks = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(r.FormValue("blocks"))
	if c.method != "chat.postMessage" && c.method != "chat.update" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
		return
	}
	f.mu.Lock()
	c.answer = answerOK
	switch {
	case f.down:
		c.answer = answerDown
	case len(f.next) > 0:
		c.answer, f.next = f.next[0], f.next[1:]
	}
	c.retryAfter = f.retryAfter
	f.nextTS++
	ts := "1700000000." + strconv.Itoa(f.nextTS)
	f.mu.Unlock()
	record := func() {
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
	}
	switch c.answer {
	case answer429:
		w.Header().Set("Retry-After", strconv.Itoa(int(c.retryAfter/time.Second)))
		c.answered = time.Now() // before the client can read it
		record()
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"ok":false,"error":"ratelimited"}`)
	case answer500:
		c.answered = time.Now()
		record()
		w.WriteHeader(http.StatusInternalServerError)
	case answerTimeout:
		select {
		case <-r.Context().Done(): // the client gave up
		case <-time.After(30 * time.Second):
		}
		c.answered = time.Now()
		record()
		panic(http.ErrAbortHandler) // never answered
	case answerDown:
		c.answered = time.Now()
		record()
		if c.arrived.UnixNano()%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		panic(http.ErrAbortHandler) // the connection dropped
	default:
		if c.method == "chat.update" {
			ts = c.ts
		}
		c.answered = time.Now()
		c.ts = ts
		record()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, channelIDs[c.channel], ts)
	}
}

// inject makes the next n requests answer a.
func (f *fakeSlack) inject(a slackFault, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.next = append(f.next, a)
	}
}

func (f *fakeSlack) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.next)
}

func (f *fakeSlack) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *fakeSlack) setRetryAfter(d time.Duration) {
	f.mu.Lock()
	f.retryAfter = d
	f.mu.Unlock()
}

func (f *fakeSlack) all() []slackCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]slackCall(nil), f.calls...)
}

// replies are the thread replies Slack accepted, in the order it did.
func (f *fakeSlack) replies() []slackCall {
	var out []slackCall
	for _, c := range f.all() {
		if c.method == "chat.postMessage" && c.answer == answerOK && c.threadTS != "" {
			out = append(out, c)
		}
	}
	return out
}

// eventIDs are the event ids of a reply (the targets' template starts
// each line with the id).
func eventIDs(text string) []string {
	var ids []string
	for _, line := range strings.Split(text, "\n") {
		if id, _, ok := strings.Cut(line, " "); ok && strings.HasPrefix(line, "evt:") {
			ids = append(ids, strings.TrimPrefix(id, "evt:"))
		}
	}
	return ids
}

// Scenario 4, Slack faults: while a simulator fleet makes events, the
// fake Slack answers bursts of 429 with Retry-After, 500s, a request held
// past the client's timeout, and an outage (503s and dropped
// connections). Every event routed to the two Slack targets must be
// posted (in the reply text, by id), no request may reach a channel
// before the Retry-After of a 429 from that channel expired, and the
// replies in each project's thread must be in the events' order (the
// audit stream's).
func TestSlackFaults(t *testing.T) {
	t.Parallel()
	started := time.Now()
	outage := pick(5*time.Second, 2*time.Minute)
	bursts := pick(1, 3)

	gen, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 5, Projects: 4, Step: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sim, simURL := startSim(t, omssim.Options{Scenario: gen, Seed: 5, Tick: 2 * time.Second, ManualClock: true}, nil)
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
  rate_limit: 10/s
  targets:
    slack-a:
      channel: "#chaos-a"
      template:
        default: "evt:{{.ID}} {{.Type}} {{.Project.Name}}"
    slack-b:
      channel: "#chaos-b"
      template:
        default: "evt:{{.ID}} {{.Type}} {{.Project.Name}}"
rules:
  default_to: [slack-a, slack-b]
  group_wait: 0s
`, slack.apiURL()))
	cfgText := strings.Replace(proctest.ReadFile(t, cfg), "store:\n  dir:", `store:
  delivery:
    max_attempts: 1000
    initial_backoff: 200ms
    max_backoff: 5s
  dir:`, 1)
	proctest.WriteFile(t, cfg, "%s", cfgText)
	c := startChild(t, "run", dir, nil, "run", "--config", cfg, "--log-format", "json", "--shutdown-timeout", "2m")
	c.HTTPAddr(addrTimeout)

	// The fleet moves a tick every 400ms until the faults are over.
	ctx, stopTicks := context.WithCancel(context.Background())
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(400 * time.Millisecond):
				sim.Advance(1)
			}
		}
	}()
	defer func() { stopTicks(); <-ticked }()

	okReplies := func() int { return len(slack.replies()) }
	proctest.Eventually(t, 90*time.Second, "the first replies in Slack", func() bool { return okReplies() >= 10 })
	consumed := func(what string) {
		proctest.Eventually(t, 120*time.Second, what+" answered", func() bool { return slack.pending() == 0 })
		before := okReplies()
		proctest.Eventually(t, 120*time.Second, "replies again after "+what, func() bool { return okReplies() >= before+2 })
	}
	for i := range bursts {
		slack.setRetryAfter(time.Duration(1+i%2) * time.Second)
		slack.inject(answer429, 4)
		consumed("a burst of 429")
		slack.inject(answer500, 4)
		consumed("a burst of 500")
		slack.inject(answer429, 1)
		slack.inject(answer500, 1)
		slack.inject(answer429, 1)
		consumed("429, 500, 429")
		slack.inject(answerTimeout, 1)
		consumed("a request held past the timeout")
	}
	slack.setDown(true)
	time.Sleep(outage)
	slack.setDown(false)
	outageEnd := time.Now()
	stopTicks()
	<-ticked

	// Every event routed to Slack gets posted.
	var lost []string
	proctest.Eventually(t, pick(3*time.Minute, 10*time.Minute), "every event routed to Slack posted", func() bool {
		lost = lostEvents(t, js, slack)
		return len(lost) == 0
	})
	recoveredAfter := time.Since(outageEnd)
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(3 * time.Minute); code != 0 {
		t.Fatalf("run exit %d", code)
	}
	noPanic(t, "run", c.Stderr())
	lost = lostEvents(t, js, slack)
	if len(lost) > 0 {
		t.Errorf("%d events routed to Slack were never posted: %v", len(lost), lost)
	}

	// No request before a Retry-After expired, per channel.
	calls := slack.all()
	early, n429, n500, timeouts, down := 0, 0, 0, 0, 0
	holdUntil := map[string]time.Time{}
	for _, cl := range sortedByArrival(calls) {
		if u, ok := holdUntil[cl.channel]; ok && cl.arrived.Before(u) {
			early++
			t.Errorf("%s to %s at %s: %s before the Retry-After expired", cl.method, cl.channel,
				cl.arrived.Format("15:04:05.000"), u.Sub(cl.arrived))
		}
		switch cl.answer {
		case answer429:
			n429++
			if u := cl.answered.Add(cl.retryAfter); u.After(holdUntil[cl.channel]) {
				holdUntil[cl.channel] = u
			}
		case answer500:
			n500++
		case answerTimeout:
			timeouts++
		case answerDown:
			down++
		}
	}

	// Order per thread, and no event posted twice.
	seq := map[string]uint64{}
	for _, a := range readAudit(t, js) {
		seq[a.event.ID] = a.seq
	}
	violations, dups, posted := 0, 0, 0
	last := map[string]uint64{} // channel + thread -> the last event's audit sequence
	seen := map[string]bool{}   // channel + event id
	threads := map[string]bool{}
	for _, r := range slack.replies() {
		key := r.channel + "|" + r.threadTS
		threads[key] = true
		for _, id := range eventIDs(r.text) {
			posted++
			if seen[r.channel+"|"+id] {
				dups++
			}
			seen[r.channel+"|"+id] = true
			s, ok := seq[id]
			if !ok {
				t.Errorf("reply names event %s, not in the audit stream", id)
				continue
			}
			if s < last[key] {
				violations++
				t.Errorf("thread %s: event %s (audit #%d) posted after audit #%d", key, id, s, last[key])
			}
			last[key] = max(last[key], s)
		}
	}
	if dups > 0 {
		t.Errorf("%d events posted twice to a channel", dups)
	}
	if n429 == 0 || n500 == 0 || timeouts == 0 || down == 0 {
		t.Errorf("faults answered: 429 %d, 500 %d, timeouts %d, outage %d; want each at least once", n429, n500, timeouts, down)
	}
	t.Logf("FIGURE slack-faults: mode=%s events_posted=%d lost=%d early_requests=%d order_violations=%d duplicates=%d threads=%d "+
		"requests=%d answered_429=%d answered_500=%d timeouts=%d outage=%s outage_requests=%d all_delivered_after_outage=%s duration=%s",
		pick("fast", "long"), posted, len(lost), early, violations, dups, len(threads), len(calls), n429, n500, timeouts, outage, down,
		recoveredAfter.Round(time.Second), time.Since(started).Round(time.Second))
}

// lostEvents are the audit stream's events routed to a Slack target that
// no accepted reply in that target's channel names.
func lostEvents(t *testing.T, js jetstream.JetStream, slack *fakeSlack) []string {
	t.Helper()
	if !hasStream(js) {
		return []string{"(no audit stream yet)"}
	}
	posted := map[string]bool{}
	for _, r := range slack.replies() {
		for _, id := range eventIDs(r.text) {
			posted[r.channel+"|"+id] = true
		}
	}
	channels := map[string]string{"slack-a": "#chaos-a", "slack-b": "#chaos-b"}
	var lost []string
	for _, a := range readAudit(t, js) {
		for _, target := range a.targets {
			if ch, ok := channels[target]; ok && !posted[ch+"|"+a.event.ID] {
				lost = append(lost, target+":"+a.event.Type+":"+a.event.ID)
			}
		}
	}
	return lost
}

func sortedByArrival(calls []slackCall) []slackCall {
	out := append([]slackCall(nil), calls...)
	slices.SortStableFunc(out, func(a, b slackCall) int { return a.arrived.Compare(b.arrived) })
	return out
}
