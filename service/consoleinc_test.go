package service

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

const consoleToken = "0123456789abcdef0123"

// consoleOver serves the console openConsole builds for doc, on js.
func consoleOver(ctx context.Context, t *testing.T, doc string, s *Service) (*httptest.Server, *config.Config) {
	t.Helper()
	cfg, err := config.Load([]byte(doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wc, err := s.openConsole(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wc.close)
	mux := http.NewServeMux()
	wc.c.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, cfg
}

// request sends method path with the bearer token when auth, and a form.
func request(t *testing.T, method, u string, auth bool, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+consoleToken)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// The incidents page lists what the pipeline recorded in the incident
// store; an acknowledgement needs a user and the CSRF token, and goes
// the way of `omswatch incident ack`: the record and the audit trail's
// oms.incident.acknowledged say who (the console's user) and why.
func TestConsoleIncidentsListAndAck(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	srv, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	doc := "oms: {mode: sim}\nnats:\n  url: " + srv.ClientURL() + "\nincidents:\n  enabled: true\nhttp:\n  listen: 127.0.0.1:0\n" +
		"  console: {bearer_token: " + consoleToken + ", bearer_user: carol}\n"
	cfg, err := config.Load([]byte(doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	d, err := newDelivery(ctx, cfg, js, deliveryOptions{stdout: &proctest.Buffer{}, logFormat: "json", red: &secret.Redactor{}, log: log})
	if err != nil {
		t.Fatal(err)
	}
	failed := diffSnapshot(t, "sim_lag-fail-recover_step_error_raised", "new.json")
	t0 := time.Now().UTC().Add(-time.Hour)
	if err := d.Handler().Handle(ctx, poller.Change{Source: "oms://cn-hangzhou", Project: failed.ID(), Current: failed, Time: t0}); err != nil {
		t.Fatal(err)
	}
	id := incidentID(ctx, t, js)
	s := &Service{root: log, log: log, js: js, nc: js.Conn()}
	web, _ := consoleOver(ctx, t, doc, s)

	code, body := request(t, http.MethodGet, web.URL+"/incidents", true, nil)
	for _, w := range []string{id, "firing", "critical", "billing_mysql_to_ob_001", `href="/projects/` + failed.ID() + `"`,
		"step:INCR_TRANSFER", `action="/incidents/` + id + `/ack"`} {
		if code != http.StatusOK || !strings.Contains(body, w) {
			t.Fatalf("GET /incidents: %d, lacks %q:\n%s", code, w, body)
		}
	}
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the ack form:\n%s", body)
	}
	store, err := incident.OpenKVStore(ctx, js, cfg.Incidents.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	ack := web.URL + "/incidents/" + id + "/ack"
	refused := []struct {
		name string
		auth bool
		form url.Values
		want int
	}{
		{"no user", false, url.Values{"csrf": {m[1]}, "comment": {"x"}}, http.StatusUnauthorized},
		{"no CSRF token", true, url.Values{"comment": {"x"}}, http.StatusForbidden},
		{"a wrong CSRF token", true, url.Values{"csrf": {"00" + m[1][2:]}, "comment": {"x"}}, http.StatusForbidden},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := request(t, http.MethodPost, ack, tc.auth, tc.form); code != tc.want {
				t.Fatalf("POST: %d, want %d:\n%s", code, tc.want, body)
			}
			in, err := store.Find(ctx, id)
			if err != nil || in.State != incident.Firing || in.Ack != nil {
				t.Fatalf("the refused ack changed the incident: %+v %v", in, err)
			}
		})
	}

	code, body = request(t, http.MethodPost, ack, true, url.Values{"csrf": {m[1]}, "comment": {"restarting <the> step"}})
	if code != http.StatusSeeOther {
		t.Fatalf("ack: %d:\n%s", code, body)
	}
	in, err := store.Find(ctx, id)
	if err != nil || in.State != incident.Acknowledged || in.Ack == nil || in.Ack.By != "carol" || in.Ack.Comment != "restarting <the> step" {
		t.Fatalf("after the ack: %+v %v", in, err)
	}
	events, err := sinks.History(ctx, js, sinks.HistoryQuery{Project: failed.ID()})
	if err != nil {
		t.Fatal(err)
	}
	var acked []string
	for _, se := range events {
		if se.Event.Type == "oms.incident.acknowledged" {
			acked = append(acked, se.Event.Data.Text("by")+": "+se.Event.Data.Text("comment"))
		}
	}
	if strings.Join(acked, "|") != "carol: restarting <the> step" {
		t.Errorf("the audit trail's acknowledgements: %q", acked)
	}

	views := []struct {
		query      string
		has, lacks []string
	}{
		{"", []string{id, "acknowledged", "carol", "restarting &lt;the&gt; step"}, []string{`/ack"`}},
		{"?state=acknowledged", []string{id}, nil},
		{"?state=firing", []string{"No firing incidents."}, []string{id}},
		{"?state=resolved", []string{"No resolved incidents."}, []string{id}},
		{"?state=all", []string{id}, nil},
	}
	for _, tc := range views {
		t.Run("list"+tc.query, func(t *testing.T) {
			_, body := request(t, http.MethodGet, web.URL+"/incidents"+tc.query, true, nil)
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
	if _, body := request(t, http.MethodGet, web.URL+"/projects/"+failed.ID(), true, nil); !strings.Contains(body, `id="project-incidents"`) ||
		!strings.Contains(body, id) {
		t.Errorf("the project's page does not show its open incident:\n%s", body)
	}
	if code, body := request(t, http.MethodPost, web.URL+"/incidents/inc-nothing/ack", true, url.Values{"csrf": {m[1]}}); code != http.StatusConflict ||
		!strings.Contains(body, "inc-nothing could not be acknowledged") || !strings.Contains(body, "no such incident") {
		t.Errorf("an ack of an unknown incident: %d:\n%s", code, body)
	}
}

// With incidents off, the page says so and how to turn them on, and an
// acknowledgement is refused; the rest of the console works.
func TestConsoleIncidentsOff(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	srv, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	doc := "oms: {mode: sim}\nnats:\n  url: " + srv.ClientURL() + "\nhttp:\n  listen: 127.0.0.1:0\n" +
		"  console: {bearer_token: " + consoleToken + ", bearer_user: carol}\n"
	log := slog.New(slog.DiscardHandler)
	web, _ := consoleOver(ctx, t, doc, &Service{root: log, log: log, js: js, nc: js.Conn()})
	code, body := request(t, http.MethodGet, web.URL+"/incidents", true, nil)
	if code != http.StatusOK || !strings.Contains(body, "Incidents are off") || !strings.Contains(body, "incidents.enabled: true") {
		t.Fatalf("GET /incidents: %d:\n%s", code, body)
	}
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		_, sb := request(t, http.MethodGet, web.URL+"/silences", true, nil)
		m = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(sb)
	}
	if m == nil {
		t.Fatal("no CSRF token on the silences page")
	}
	if code, _ := request(t, http.MethodPost, web.URL+"/incidents/inc-x/ack", true, url.Values{"csrf": {m[1]}}); code != http.StatusServiceUnavailable {
		t.Errorf("an ack with incidents off: %d, want 503", code)
	}
	if code, _ := request(t, http.MethodGet, web.URL+"/", true, nil); code != http.StatusOK {
		t.Errorf("the fleet page: %d", code)
	}
}
