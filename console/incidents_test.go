package console

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeIncidents keeps incidents in memory and records acknowledgements.
type fakeIncidents struct {
	mu   sync.Mutex
	list []Incident
	acks []string
}

func (f *fakeIncidents) List(context.Context) ([]Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Incident(nil), f.list...), nil
}

func (f *fakeIncidents) Acknowledge(_ context.Context, id, by, comment string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.list {
		if f.list[i].ID == id {
			f.list[i].State, f.list[i].AckBy, f.list[i].AckComment = "acknowledged", by, comment
			f.acks = append(f.acks, id+" "+by+" "+comment)
			return nil
		}
	}
	return errors.New("no such incident")
}

func incidentsConsole(t *testing.T, inc Incidents) *fixture {
	t.Helper()
	c, err := New(Options{Fleet: NewFleet(), Live: NewLive(), Incidents: inc, Now: func() time.Time { return testNow },
		Auth: Auth{BearerToken: "0123456789abcdef0123", BearerUser: "bob"}})
	must(t, err)
	mux := http.NewServeMux()
	c.Register(mux)
	f := &fixture{srv: httptest.NewServer(mux)}
	t.Cleanup(f.srv.Close)
	return f
}

// The page lists open incidents first (firing, then acknowledged), each
// project linked, names escaped, a fleet incident with its projects; the
// state filter narrows it; a logged-in user acknowledges with a comment.
func TestIncidentsPage(t *testing.T) {
	inc := &fakeIncidents{list: []Incident{
		{ID: "inc-old", ProjectID: "np_9", ProjectName: "gone", Cause: "poll", Title: "polls fail", State: "resolved",
			Severity: "warning", Started: testNow.Add(-48 * time.Hour), Reason: "cleared"},
		{ID: "inc-ack", ProjectID: "np_2", ProjectName: "<script>alert(1)</script>", Cause: "step:FULL", Title: "step FULL failing",
			State: "acknowledged", Severity: "critical", Started: testNow.Add(-2 * time.Hour), AckBy: "alice", AckComment: "on it"},
		{ID: "inc-fire", ProjectID: "np_1", ProjectName: "orders", Cause: "condition:incr_delay_high", Title: "delay high",
			State: "firing", Severity: "critical", Started: testNow.Add(-time.Hour), Fleet: "fleet-1", FleetTitle: "on 2 projects:",
			FleetProjects: []string{"np_3"}},
	}}
	f := incidentsConsole(t, inc)
	bearer := "Authorization: Bearer 0123456789abcdef0123"
	cases := []struct {
		query      string
		order      []string
		has, lacks []string
	}{
		{"", []string{"inc-fire", "inc-ack"}, []string{`href="/projects/np_1"`, `href="/projects/np_3"`, "fleet-1", "&lt;script&gt;",
			"alice", "on it", `action="/incidents/inc-fire/ack"`, "1h00m ago"}, []string{"inc-old", "<script>alert", "/incidents/inc-ack/ack"}},
		{"?state=all", []string{"inc-fire", "inc-ack", "inc-old"}, []string{"cleared"}, nil},
		{"?state=resolved", []string{"inc-old"}, nil, []string{"inc-fire"}},
		{"?state=firing", []string{"inc-fire"}, nil, []string{"inc-ack"}},
		{"?state=bogus", []string{"inc-fire", "inc-ack"}, nil, []string{"inc-old"}},
	}
	for _, tc := range cases {
		t.Run("list"+tc.query, func(t *testing.T) {
			resp, body := f.do(t, http.MethodGet, "/incidents"+tc.query, "", bearer)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%d:\n%s", resp.StatusCode, body)
			}
			at := 0
			for _, id := range tc.order {
				i := strings.Index(body[at:], `<td class="id">`+id+`</td>`)
				if i < 0 {
					t.Fatalf("%s is missing or out of order:\n%s", id, body)
				}
				at += i
			}
			for _, w := range tc.has {
				if !strings.Contains(body, w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, w := range tc.lacks {
				if strings.Contains(body, w) {
					t.Errorf("has %q", w)
				}
			}
		})
	}
	ack := url.Values{"comment": {"restarting"}}
	if resp, _ := f.do(t, http.MethodPost, "/incidents/inc-fire/ack", ack.Encode()); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous ack: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, http.MethodPost, "/incidents/inc-fire/ack", ack.Encode(), bearer); resp.StatusCode != http.StatusForbidden {
		t.Errorf("ack without CSRF: %d", resp.StatusCode)
	}
	if len(inc.acks) != 0 {
		t.Fatalf("refused acks went through: %q", inc.acks)
	}
	_, page := f.do(t, http.MethodGet, "/incidents", "", bearer)
	m := csrfPattern.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token:\n%s", page)
	}
	ack.Set("csrf", m[1])
	resp, body := f.do(t, http.MethodPost, "/incidents/inc-fire/ack", ack.Encode(), bearer)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/incidents?acked=inc-fire" {
		t.Fatalf("ack: %d %s:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if strings.Join(inc.acks, "|") != "inc-fire bob restarting" {
		t.Errorf("acks: %q", inc.acks)
	}
}

// With incidents off the page says how to turn them on.
func TestIncidentsPageOff(t *testing.T) {
	f := incidentsConsole(t, nil)
	resp, body := f.do(t, http.MethodGet, "/incidents", "", "Authorization: Bearer 0123456789abcdef0123")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="incidents-off"`) || !strings.Contains(body, "incidents.enabled: true") {
		t.Fatalf("%d:\n%s", resp.StatusCode, body)
	}
}
