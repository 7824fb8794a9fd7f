package sinks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// picky is a target that takes events one by one, as a webhook does: it
// refuses every event of one type for good, fails transiently once at its
// failAt-th accepted event, and skips on a retry what it accepted before.
type picky struct {
	mu       sync.Mutex
	refuse   string
	failAt   int
	accepted int
	got      map[string]int // times each event was accepted
	tried    map[string]int // times each event was sent, refused or not
}

func newPicky(refuse string, failAt int) *picky {
	return &picky{refuse: refuse, failAt: failAt, got: map[string]int{}, tried: map[string]int{}}
}

func (p *picky) Send(_ context.Context, n sinks.Notification) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	refused := map[string]error{}
	for _, e := range n.Events {
		if p.got[e.ID] > 0 {
			continue
		}
		p.tried[e.ID]++
		if e.Type == p.refuse {
			refused[e.ID] = sinks.Permanent(fmt.Errorf("422 Unprocessable Entity: no %s here (%s)", e.Type, e.ID))
			continue
		}
		if p.accepted++; p.accepted == p.failAt {
			return sinks.Partial(refused, errors.New("503 Service Unavailable"))
		}
		p.got[e.ID]++
	}
	return sinks.Partial(refused, nil)
}

// mixed are n events of a project, every third of them of type typ.
func mixed(project string, n int, typ string, targets ...string) []sinks.Entry {
	es := entries(project, 0, n, targets...)
	for i := range es {
		if i%3 != 1 {
			continue
		}
		e := &es[i].Event
		e.Type, e.ID = typ, event.NewID(e.Source, project, typ, "", fmt.Sprint(i))
		for j := range es[i].Deliveries {
			es[i].Deliveries[j].Event = *e
		}
	}
	return es
}

// Issue 18, point 5: a target that refuses one event type gets every other
// event exactly once, in order targets (AckAll, batches) and grouped ones
// alike, with a transient failure in between; each refused event is sent
// once, dead-lettered alone with its own reason, and not sent again.
func TestARefusedEventDoesNotTakeItsNeighbours(t *testing.T) {
	const refusedType = event.TypeAlarmCleared
	cases := []struct {
		name   string
		target func(sinks.Sink) sinks.Target
		failAt int
	}{
		{"in order", func(s sinks.Sink) sinks.Target { return sinks.Target{Name: "hook", Sink: s} }, 0},
		{"in order, a 503 in between", func(s sinks.Sink) sinks.Target { return sinks.Target{Name: "hook", Sink: s} }, 7},
		{"grouped", func(s sinks.Sink) sinks.Target { return sinks.Target{Name: "hook", Sink: s, Grouped: true} }, 0},
		{"grouped, a 503 in between", func(s sinks.Sink) sinks.Target { return sinks.Target{Name: "hook", Sink: s, Grouped: true} }, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, js := startServer(t)
			ob := newOutbox(t, js)
			p := newPicky(refusedType, tc.failAt)
			d := startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, InitialBackoff: 10 * time.Millisecond, BatchSize: 8,
				Targets: []sinks.Target{tc.target(p)}})
			es := append(mixed("np_1", 30, refusedType, "hook"), mixed("np_2", 30, refusedType, "hook")...)
			if err := ob.Publish(t.Context(), es); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			letters := deadLetters(t, js)
			p.mu.Lock()
			defer p.mu.Unlock()
			refused, delivered := 0, 0
			for _, en := range es {
				e := en.Event
				if e.Type != refusedType {
					delivered++
					if p.got[e.ID] != 1 {
						t.Errorf("event %s accepted %d times, want once", e.ID, p.got[e.ID])
					}
					if _, ok := letters[e.ID]; ok {
						t.Errorf("event %s was accepted and dead-lettered", e.ID)
					}
					continue
				}
				refused++
				if p.tried[e.ID] != 1 {
					t.Errorf("refused event %s sent %d times, want once", e.ID, p.tried[e.ID])
				}
				m, ok := letters[e.ID]
				if !ok {
					t.Errorf("refused event %s is not in the dead letters", e.ID)
					continue
				}
				if reason := m.Header.Get(sinks.HeaderReason); !strings.Contains(reason, "422") || !strings.Contains(reason, e.ID) {
					t.Errorf("dead letter of %s: reason %q, want its own", e.ID, reason)
				}
			}
			if len(letters) != refused {
				t.Errorf("%d dead letters, want %d (the refused events only)", len(letters), refused)
			}
			t.Logf("%d events: %d delivered once each, %d refused and dead-lettered alone", len(es), delivered, refused)
		})
	}
}

// deadLetters reads the dead-letter stream, by event id.
func deadLetters(t *testing.T, js jetstream.JetStream) map[string]*jetstream.RawStreamMsg {
	t.Helper()
	st, err := js.Stream(t.Context(), sinks.DefaultDeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*jetstream.RawStreamMsg{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		e, err := sinks.DecodeEvent(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[e.ID]; dup {
			t.Errorf("event %s dead-lettered twice", e.ID)
		}
		out[e.ID] = m
	}
	return out
}
