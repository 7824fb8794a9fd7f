package webhook_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/webhook"
)

const hmacKey = "hmac-key-0123456789"

func sample(i int) event.Event {
	return event.Event{ID: event.NewID("oms://r", "np_1", event.TypeAlarmCleared, "", string(rune('a'+i))), Source: "oms://r",
		Type: event.TypeAlarmCleared, Subject: "np_1", Severity: event.Info, Time: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC),
		Data: event.Data{Project: event.Project{ID: "np_1", Name: "orders <&>"}, Fields: map[string]any{"count": 0}}}
}

// receiver verifies each request's signature as a user's service would.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	bad    int
	status func(n int) (int, string)
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status != nil {
		if code, retry := r.status(len(r.bodies) + r.bad + 1); code != 0 {
			r.bad++
			w.Header().Set("Retry-After", retry)
			w.WriteHeader(code)
			return
		}
	}
	if !webhook.Verify([]byte(hmacKey), body, req.Header.Get(webhook.SignatureHeader)) || req.Header.Get("X-Team") != "dba" {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.bodies = append(r.bodies, req.Header.Get("Content-Type")+" "+string(body))
}

func TestWebhook(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		status  func(n int) (int, string)
		wantErr string
		want    []string
	}{
		{"cloudevents json signed", "", nil, "", nil},
		{"templated body", `{"text":{{json .Project.Name}}}`, nil, "", []string{`application/json {"text":"orders <&>"}`}},
		{"429 says when", "", func(int) (int, string) { return 429, "7" }, "retry 7s", nil},
		{"503 transient", "", func(int) (int, string) { return 503, "" }, "transient", nil},
		{"404 permanent", "", func(int) (int, string) { return 404, "" }, "permanent", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &receiver{status: tc.status}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			red := &secret.Redactor{}
			url := srv.URL + "/hook?token=url-token-secret"
			s, err := webhook.New("relay", webhook.Config{URL: secret.New(url), Secret: secret.New(hmacKey), Body: setting.Template{Text: tc.body},
				Headers: map[string]secret.String{"X-Team": secret.New("dba")}}, red)
			if err != nil {
				t.Fatal(err)
			}
			e := sample(1)
			err = s.Send(t.Context(), sinks.Notification{Events: []event.Event{e}})
			switch tc.wantErr {
			case "":
				if err != nil {
					t.Fatal(err)
				}
				want := tc.want
				if want == nil {
					b, _ := e.JSON()
					want = []string{"application/cloudevents+json " + string(b)}
				}
				if strings.Join(rec.bodies, "\n") != strings.Join(want, "\n") || rec.bad != 0 {
					t.Errorf("received %q (%d refused), want %q", rec.bodies, rec.bad, want)
				}
			case "retry 7s":
				if d, ok := sinks.RetryDelay(err); !ok || d != 7*time.Second {
					t.Errorf("error %v: delay %s", err, d)
				}
			case "transient":
				if err == nil || sinks.IsPermanent(err) {
					t.Errorf("error %v, want transient", err)
				}
			case "permanent":
				if !sinks.IsPermanent(err) {
					t.Errorf("error %v, want permanent", err)
				}
			}
			if err != nil && strings.Contains(err.Error(), "url-token-secret") {
				t.Errorf("the URL's token in an error: %v", err)
			}
		})
	}
}

// A retried batch does not post again what was accepted.
func TestRetrySkipsWhatWasPosted(t *testing.T) {
	rec := &receiver{status: func(n int) (int, string) {
		if n == 2 {
			return 500, ""
		}
		return 0, ""
	}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	s, err := webhook.New("relay", webhook.Config{URL: secret.New(srv.URL), Secret: secret.New(hmacKey),
		Headers: map[string]secret.String{"X-Team": secret.New("dba")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := sinks.Notification{Events: []event.Event{sample(1), sample(2)}}
	if err := s.Send(t.Context(), n); err == nil {
		t.Fatal("the 500 was not reported")
	}
	if err := s.Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	if len(rec.bodies) != 2 {
		t.Fatalf("%d posts accepted, want 2 (no repeat)", len(rec.bodies))
	}
	if _, err := webhook.New("x", webhook.Config{URL: secret.New("ftp://x")}, nil); err == nil {
		t.Error("an ftp URL was accepted")
	}
}

// A 4xx for one event does not stop the batch: the others are posted, and
// the refusal is reported for that event alone.
func TestARefusalIsReportedPerEvent(t *testing.T) {
	rec := &receiver{status: func(n int) (int, string) {
		if n == 1 {
			return 422, ""
		}
		return 0, ""
	}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	s, err := webhook.New("relay", webhook.Config{URL: secret.New(srv.URL), Secret: secret.New(hmacKey),
		Headers: map[string]secret.String{"X-Team": secret.New("dba")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := sinks.Notification{Events: []event.Event{sample(1), sample(2), sample(3)}}
	err = s.Send(t.Context(), n)
	var pe *sinks.PartialError
	if !errors.As(err, &pe) || pe.Err != nil || len(pe.Failed) != 1 || pe.Failed[sample(1).ID] == nil {
		t.Fatalf("error %#v, want the first event refused and the others delivered", err)
	}
	if !sinks.IsPermanent(pe.Failed[sample(1).ID]) || len(rec.bodies) != 2 {
		t.Errorf("refusal %v; %d posts accepted, want 2", pe.Failed[sample(1).ID], len(rec.bodies))
	}
}
