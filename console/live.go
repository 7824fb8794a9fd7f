package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/omswatch/omswatch/event"
)

// Live fans new events out to the pages open in browsers (server-sent
// events). A subscriber that does not keep up loses events rather than
// slow the others: the page's timeline is the audit trail, read again on
// reload.
type Live struct {
	mu   sync.Mutex
	subs map[chan liveItem]struct{}
	done chan struct{}
	once sync.Once
	// onWatch hears when the first page starts following and the last
	// one stops (see OnWatch); called with mu held, so calls are in order.
	onWatch func(watched bool)
}

// OnWatch sets fn to be told when the first page starts following the
// live events (true) and when the last one stops (false), so the events
// are fetched only while someone looks: at 100,000 projects every event
// sent to a subscriber that drops it was a copy over loopback for nobody.
// fn must not call back into l.
func (l *Live) OnWatch(fn func(watched bool)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onWatch = fn
	if fn != nil && len(l.subs) > 0 {
		fn(true)
	}
}

// NewLive returns a broker with no subscribers.
func NewLive() *Live { return &Live{subs: map[chan liveItem]struct{}{}, done: make(chan struct{})} }

// Close ends every open stream (the server is shutting down: an open
// stream would hold its shutdown up).
func (l *Live) Close() { l.once.Do(func() { close(l.done) }) }

// liveItem is what a page receives for a new event: all of it text, set
// with textContent by the page's script.
type liveItem struct {
	ID       string `json:"id"`
	Project  string `json:"project"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Severity string `json:"severity"`
	Time     string `json:"time"`
	Summary  string `json:"summary"`
	Status   string `json:"status"`
}

// Publish hands a new event to every open page.
func (l *Live) Publish(e event.Event) {
	it := liveItem{ID: e.ID, Project: e.Subject, Name: e.Data.Project.Name, Type: e.Type,
		Severity: string(e.Severity), Time: e.Time.UTC().Format(time.RFC3339), Summary: what(e),
		Status: e.Data.Project.Status}
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs {
		select {
		case ch <- it:
		default: // a slow page loses this one
		}
	}
}

func (l *Live) subscribe() (<-chan liveItem, func()) {
	ch := make(chan liveItem, 64)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	if len(l.subs) == 1 && l.onWatch != nil {
		l.onWatch(true)
	}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		delete(l.subs, ch)
		if len(l.subs) == 0 && l.onWatch != nil {
			l.onWatch(false)
		}
		l.mu.Unlock()
	}
}

// serveLive streams events as text/event-stream: all of them, or one
// project's (?project=ID). A comment every 20 s keeps proxies from closing
// an idle stream.
func (c *Console) serveLive(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	project := r.URL.Query().Get("project")
	ch, cancel := c.o.Live.subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	fmt.Fprint(w, "retry: 3000\n: connected\n\n")
	fl.Flush()
	tick := time.NewTicker(20 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.o.Live.done:
			return
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case it := <-ch:
			if project != "" && it.Project != project {
				continue
			}
			b, err := json.Marshal(it)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "id: %s\nevent: oms-event\ndata: %s\n\n", it.ID, b)
		}
		fl.Flush()
	}
}
