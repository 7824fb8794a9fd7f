package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/rules/kvstate"
)

// testNow is the clock of the handler tests.
var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// snap builds a project snapshot as OMS describes it.
func snap(t testing.TB, id, name, status, importance string, delay int, labels ...string) *oms.Snapshot {
	t.Helper()
	ls := make([]string, len(labels))
	for i, l := range labels {
		ls[i] = fmt.Sprintf(`{"Id":"l_%d","Name":%q}`, i, l)
	}
	body := fmt.Sprintf(`{"Id":%q,"Name":%q,"Type":"SYNC","Status":%q,"Importance":%q,"Labels":[%s],
		"ExtraInfo":{"SyncDelay":%d,"IncrSyncTimestamp":"2026-12-01T11:59:00"},
		"Steps":[{"Name":"FULL_TRANSFER","Order":3,"Status":"FINISHED","Progress":100,"StartTime":"2026-12-01T10:00:00","FinishTime":"2026-12-01T11:00:00"},
		{"Name":"INCR_TRANSFER","Order":4,"Status":"RUNNING","Progress":40,"StartTime":"2026-12-01T11:00:00"}]}`,
		id, name, status, importance, strings.Join(ls, ","), delay)
	s, err := oms.ParseSnapshot([]byte(body))
	must(t, err)
	return s
}

// history is the audit trail of the handler tests (the service reads the
// real stream; its test covers that adapter).
type history struct{ events []Stored }

func (h history) Events(_ context.Context, project string, since time.Time) ([]Stored, error) {
	var out []Stored
	for _, e := range h.events {
		if e.Event.Subject == project && !e.Event.Time.Before(since) {
			out = append(out, e)
		}
	}
	return out, nil
}

type snapshotMap map[string]*oms.Snapshot

func (m snapshotMap) Snapshot(_ context.Context, _, project string) (*oms.Snapshot, error) {
	if s, ok := m[project]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("no snapshot of %s", project)
}

// recorder keeps what the console recorded.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) Record(_ context.Context, e event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) all() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.events...)
}

type fixture struct {
	srv      *httptest.Server
	silences *kvstate.Silences
	audit    *recorder
	live     *Live
}

// start serves a console over a fleet of three projects (one named with
// a script), real silences on an embedded NATS server, and auth.
func start(t *testing.T, auth Auth) *fixture {
	t.Helper()
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	sil, err := kvstate.NewSilences(t.Context(), js, kvstate.Options{Bucket: "silences"})
	must(t, err)
	fleet := NewFleet()
	snaps := snapshotMap{}
	for i, s := range []*oms.Snapshot{
		snap(t, "np_1", "orders_mysql_to_ob", "RUNNING", "HIGH", 30, "team-a"),
		snap(t, "np_2", "<script>alert(1)</script>", "FAILED", "LOW", 900, "team-b"),
		snap(t, "np_3", "billing_sync", "RUNNING", "MEDIUM", 5),
	} {
		fleet.Update(RowOf("oms://r", s, testNow.Add(-time.Duration(i)*time.Minute)))
		snaps[s.ID()] = s
	}
	fleet.Loaded()
	ev := event.Event{ID: "e1", Source: "oms://r", Type: "oms.project.status_changed", Subject: "np_2",
		Time: testNow.Add(-time.Hour), Severity: event.Critical,
		Data: event.Data{Project: event.Project{ID: "np_2", Name: "<script>alert(1)</script>"},
			Fields:  map[string]any{"from": "RUNNING", "to": "<b>FAILED</b>"},
			Changes: []event.Change{{Op: "replace", Path: "/Status", Value: "FAILED"}}}}
	var tick atomic.Int64 // a clock that moves, as silences expect
	f := &fixture{silences: sil, audit: &recorder{}, live: NewLive()}
	c, err := New(Options{Fleet: fleet, Live: f.live, History: history{[]Stored{{Seq: 1, Event: ev, Decisions: []string{"route oncall -> target <pager>: delivered"}}}},
		Snapshots: snaps, Silences: sil, Audit: f.audit, Auth: auth, Now: func() time.Time { return testNow.Add(time.Duration(tick.Add(1)) * time.Millisecond) },
		Thresholds: []Threshold{{Condition: "incr_delay_high", Importance: "HIGH", Delay: time.Minute}}})
	must(t, err)
	mux := http.NewServeMux()
	c.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() { f.live.Close(); f.srv.Close() })
	return f
}

// get requests path with the header lines given ("Name: value").
func (f *fixture) do(t *testing.T, method, path string, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, strings.NewReader(body))
	must(t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, string(b)
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf reads the CSRF token of the silences form as the user sees it.
func (f *fixture) csrf(t *testing.T, headers ...string) string {
	t.Helper()
	_, body := f.do(t, http.MethodGet, "/silences", "", headers...)
	m := csrfPattern.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the form:\n%s", body)
	}
	return m[1]
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// samplePoint is a point at unix second at with a delay and no checkpoint.
func samplePoint(at int64, delay int32) point { return point{at: uint32(at), delay: delay, lag: -1} }
