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

// detect times each change: from the moment the simulator began answering
// it to the arrival of the first event of its project observed at or after
// it. It returns the delays, sorted, how many changes no event showed and
// the first few of them.
func (a *arrivals) detect(changes []omssim.StateChange) (delays []time.Duration, unseen int, examples []omssim.StateChange) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range changes {
		var first time.Time
		from := c.Time.Add(-observedEarly)
		for _, ar := range a.byProject[c.Project] {
			if ar.observed >= from.UnixNano() && (first.IsZero() || ar.arrived < first.UnixNano()) {
				first = time.Unix(0, ar.arrived)
			}
		}
		if first.IsZero() {
			unseen++
			if len(examples) < 5 {
				examples = append(examples, c)
			}
			continue
		}
		delays = append(delays, max(first.Sub(c.Time), 0))
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
	// Decoded as it is read: the changes of a large run are megabytes,
	// which the process being measured would otherwise hold twice.
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("simulator %s: %w", path, err)
	}
	return nil
}

// settle stops the simulator's clock, reads the changes it made since
// tick from, and waits up to d for the service to show every one of
// them; it returns the changes.
func settle(ctx context.Context, simURL string, from int64, d time.Duration, a *arrivals) ([]omssim.StateChange, error) {
	var st omssim.State
	if err := simControl(ctx, simURL, http.MethodPost, "/_sim/freeze", &st); err != nil {
		return nil, err
	}
	var changes []omssim.StateChange
	if err := simControl(ctx, simURL, http.MethodGet, fmt.Sprintf("/_sim/changes?from=%d&to=%d", from, st.Tick), &changes); err != nil {
		return nil, err
	}
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if _, unseen, _ := a.detect(changes); unseen == 0 {
			return changes, nil
		}
		select {
		case <-ctx.Done():
			return changes, nil
		case <-deadline.C:
			return changes, nil
		case <-tick.C:
		}
	}
}
