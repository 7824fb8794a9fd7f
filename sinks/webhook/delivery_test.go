package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/sinktest"
	"github.com/omswatch/omswatch/sinks/webhook"
)

// picky is a receiver that answers 422 to every event of one type.
type picky struct {
	mu     sync.Mutex
	refuse string
	got    map[string]int // accepted posts by event id
	posts  map[string]int // every post by event id
}

func (p *picky) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var e struct{ ID, Type string }
	body, _ := io.ReadAll(req.Body)
	_ = json.Unmarshal(body, &e)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts[e.ID]++
	if e.Type == p.refuse {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"error":"no %s here"}`, e.Type)
		return
	}
	p.got[e.ID]++
}

// Issue 18, point 5, end to end: a webhook that answers 422 to one event
// type receives every other event exactly once; each refused event is
// posted once and dead-lettered alone, with the receiver's answer as its
// reason.
func TestAReceiverRefusingOneTypeGetsEveryOtherEventOnce(t *testing.T) {
	srv := sinktest.StartNATS(t, 0)
	_, js := sinktest.Connect(t, srv)
	ob, err := sinks.NewOutbox(t.Context(), js, sinks.OutboxOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	rec := &picky{refuse: event.TypeAlarmCleared, got: map[string]int{}, posts: map[string]int{}}
	hs := httptest.NewServer(rec)
	defer hs.Close()
	s, err := webhook.New("relay", webhook.Config{URL: secret.New(hs.URL)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, BatchSize: 16, Targets: []sinks.Target{{Name: "relay", Sink: s}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var es []sinks.Entry
	for i := range 60 {
		e := sample(i)
		e.Type = []string{event.TypeStepProgressChanged, event.TypeAlarmCleared, event.TypeAlarmTriggered}[i%3]
		e.ID = event.NewID(e.Source, e.Subject, e.Type, "", fmt.Sprint(i))
		es = append(es, sinks.Entry{Event: e, Deliveries: []sinks.Delivery{{Event: e, Target: "relay", RouteIndex: -1}}})
	}
	if err := ob.Publish(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), sinks.DefaultDeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	refused := 0
	for _, en := range es {
		id := en.Event.ID
		if en.Event.Type == rec.refuse {
			refused++
			if rec.posts[id] != 1 {
				t.Errorf("refused event %s posted %d times, want once", id, rec.posts[id])
			}
			continue
		}
		if rec.got[id] != 1 || rec.posts[id] != 1 {
			t.Errorf("event %s accepted %d times in %d posts, want once", id, rec.got[id], rec.posts[id])
		}
	}
	if info.State.Msgs != uint64(refused) {
		t.Errorf("%d dead letters, want %d", info.State.Msgs, refused)
	}
	m, err := st.GetMsg(t.Context(), info.State.FirstSeq)
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Header.Get(sinks.HeaderReason); r != `webhook relay: 422 Unprocessable Entity: {"error":"no oms.alarm.cleared here"}` {
		t.Errorf("reason %q", r)
	}
}
