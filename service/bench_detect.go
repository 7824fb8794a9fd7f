package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/omswatch/omswatch/oms/omssim"
)

// arrivals collects, per event delivered on the NATS target, the time
// from its observation (the event's time) to its arrival, and per project
// the events' observation and arrival times, to time the simulator's
// changes against.
type arrivals struct {
	mu        sync.Mutex
	latencies []time.Duration
	byProject map[string][]arrival
	// The same latency in two parts: from the observation to the event
	// stored in the outbox (the poll's hand-off), and from there to the
	// target (the dispatcher); stored holds events not yet arrived.
	toOutbox, fromOutbox []time.Duration
	stored               map[string]time.Time
}

// arrival is one event of a project: when it was observed and arrived,
// in Unix nanoseconds (a third of two time.Time, for the hundreds of
// thousands a large run keeps in the process it measures).
type arrival struct{ observed, arrived int64 }

func newArrivals() *arrivals {
	return &arrivals{byProject: map[string][]arrival{}, stored: map[string]time.Time{}}
}

type benchEvent struct {
	ID      string    `json:"id"`
	Subject string    `json:"subject"`
	Time    time.Time `json:"time"`
}

// eventHead reads an event's id, subject and time, which its encoding
// (event.Event.JSON) writes before its data: the bench reads every event
// twice (from the outbox and from the target) in the process it measures,
// and decoding each whole (a first sight carries the project) made it a
// slow consumer holding hundreds of megabytes at 100,000 projects.
func eventHead(b []byte) (e benchEvent, ok bool) {
	if i := bytes.Index(b, []byte(`,"data":`)); i > 0 {
		b = b[:i]
	}
	attr := func(name string) string {
		key := `"` + name + `":"`
		i := bytes.Index(b, []byte(key))
		if i < 0 {
			return ""
		}
		v := b[i+len(key):]
		j := bytes.IndexByte(v, '"')
		if j < 0 || bytes.IndexByte(v[:j], '\\') >= 0 {
			return ""
		}
		return string(v[:j])
	}
	e.ID, e.Subject = attr("id"), attr("subject")
	e.Time, _ = time.Parse(time.RFC3339Nano, attr("time"))
	return e, e.ID != "" && !e.Time.IsZero()
}

// observe takes an event arriving on the NATS target.
func (a *arrivals) observe(m *nats.Msg) {
	now := time.Now()
	e, ok := eventHead(m.Data)
	if !ok {
		return
	}
	a.mu.Lock()
	a.latencies = append(a.latencies, now.Sub(e.Time))
	a.byProject[e.Subject] = append(a.byProject[e.Subject], arrival{e.Time.UnixNano(), now.UnixNano()})
	if at, ok := a.stored[e.ID]; ok {
		a.fromOutbox = append(a.fromOutbox, now.Sub(at))
		delete(a.stored, e.ID)
	}
	a.mu.Unlock()
}

// outboxed takes an event as the outbox stores it (its core subject).
func (a *arrivals) outboxed(m *nats.Msg) {
	now := time.Now()
	e, ok := eventHead(m.Data)
	if !ok {
		return
	}
	a.mu.Lock()
	a.toOutbox = append(a.toOutbox, now.Sub(e.Time))
	a.stored[e.ID] = now
	a.mu.Unlock()
}

// split returns the two parts of the latency, sorted.
func (a *arrivals) split() (toOutbox, fromOutbox []time.Duration) {
	a.mu.Lock()
	toOutbox, fromOutbox = slices.Clone(a.toOutbox), slices.Clone(a.fromOutbox)
	a.mu.Unlock()
	slices.Sort(toOutbox)
	slices.Sort(fromOutbox)
	return toOutbox, fromOutbox
}

func (a *arrivals) sorted() []time.Duration {
	a.mu.Lock()
	d := slices.Clone(a.latencies)
	a.mu.Unlock()
	slices.Sort(d)
	return d
}

// observedEarly is how long before a change an event may be observed and
// still show it: the poller stamps an observation when its request starts,
// and the simulator answers with the state of the moment the request
// arrives.
const observedEarly = time.Second

// changeLog is the simulator's state changes as the bench keeps them in
// the process it measures: each project's id once, and per change its
// index, tick and time. Decoded whole, the changes of a run at 100,000
// projects (over a million) took a few hundred megabytes at the moment the
// run froze, and were the service's peak resident set.
type changeLog struct {
	names   []string
	index   map[string]int32
	changes []loggedChange
}

type loggedChange struct {
	project, tick int32
	at            int64 // Unix nanoseconds
}

func (l *changeLog) add(cs []omssim.StateChange) {
	if l.index == nil {
		l.index = map[string]int32{}
	}
	for _, c := range cs {
		i, ok := l.index[c.Project]
		if !ok {
			i = int32(len(l.names))
			l.index[c.Project] = i
			l.names = append(l.names, c.Project)
		}
		l.changes = append(l.changes, loggedChange{project: i, tick: int32(c.Tick), at: c.Time.UnixNano()})
	}
}

// change is change i as the simulator told it.
func (l *changeLog) change(i int) omssim.StateChange {
	c := l.changes[i]
	return omssim.StateChange{Project: l.names[c.project], Tick: int64(c.tick), Time: time.Unix(0, c.at)}
}

// shownAt is when the first event of change i's project observed at or
// after it arrived (0: none yet). a.mu is held.
func (a *arrivals) shownAt(l *changeLog, i int) int64 {
	c := l.changes[i]
	from := c.at - int64(observedEarly)
	var first int64
	for _, ar := range a.byProject[l.names[c.project]] {
		if ar.observed >= from && (first == 0 || ar.arrived < first) {
			first = ar.arrived
		}
	}
	return first
}

// unseen keeps of the changes pending (indexes into l) those no event
// shows yet, in place.
func (a *arrivals) unseen(l *changeLog, pending []int32) []int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	kept := pending[:0]
	for _, i := range pending {
		if a.shownAt(l, int(i)) == 0 {
			kept = append(kept, i)
		}
	}
	return kept
}

// detect times each change: from the moment the simulator began answering
// it to the arrival of the first event of its project observed at or after
// it. It returns the delays, sorted, how many changes no event showed and
// the first few of them.
func (a *arrivals) detect(l *changeLog) (delays []time.Duration, unseen int, examples []omssim.StateChange) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delays = make([]time.Duration, 0, len(l.changes))
	for i, c := range l.changes {
		first := a.shownAt(l, i)
		if first == 0 {
			unseen++
			if len(examples) < 5 {
				examples = append(examples, l.change(i))
			}
			continue
		}
		delays = append(delays, max(time.Duration(first-c.at), 0))
	}
	slices.Sort(delays)
	return delays, unseen, examples
}

// simControl calls the simulator's control endpoint and decodes its
// answer into out.
func simControl(ctx context.Context, simURL, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, simURL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("simulator %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("simulator %s: %s: %s", path, resp.Status, body)
	}
	// A json.Decoder reads the whole value before it decodes it: callers
	// ask for small answers (settle reads the changes a tick at a time).
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("simulator %s: %w", path, err)
	}
	return nil
}

// settle stops the simulator's clock, reads the changes it made since
// tick from, and waits up to d for the service to show every one of
// them; it returns the changes. They are read a tick at a time, so that
// the process being measured never holds more than one tick's decoded.
func settle(ctx context.Context, simURL string, from int64, d time.Duration, a *arrivals) (*changeLog, error) {
	var st omssim.State
	if err := simControl(ctx, simURL, http.MethodPost, "/_sim/freeze", &st); err != nil {
		return nil, err
	}
	log := &changeLog{}
	for t := from; t < st.Tick; t++ {
		var changes []omssim.StateChange
		if err := simControl(ctx, simURL, http.MethodGet, fmt.Sprintf("/_sim/changes?from=%d&to=%d", t, t+1), &changes); err != nil {
			return nil, err
		}
		log.add(changes)
	}
	pending := make([]int32, len(log.changes))
	for i := range pending {
		pending[i] = int32(i)
	}
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		// Only the changes not seen the last time are looked at again.
		if pending = a.unseen(log, pending); len(pending) == 0 {
			return log, nil
		}
		select {
		case <-ctx.Done():
			return log, nil
		case <-deadline.C:
			return log, nil
		case <-tick.C:
		}
	}
}
