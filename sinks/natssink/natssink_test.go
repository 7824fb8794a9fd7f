package natssink_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/natssink"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

func sampleEvent(name string) event.Event {
	src := "oms://cn-hangzhou"
	return event.Event{
		ID: event.NewID(src, "np_7hq2kd81", event.TypeStepStatusChanged, "FULL", "d"), Source: src,
		Type: event.TypeStepStatusChanged, Subject: "np_7hq2kd81", Severity: event.Critical,
		Time: time.Date(2026, 11, 24, 10, 0, 5, 0, time.UTC),
		Data: event.Data{
			Project: event.Project{ID: "np_7hq2kd81", Name: name, Status: "RUNNING"},
			Fields:  map[string]any{"step": "FULL_TRANSFER", "phase": "full", "from": "RUNNING", "to": "FAILED", "progress": 42},
			Changes: []event.Change{{Op: "replace", Path: "/Steps/FULL_TRANSFER/Status", Value: "FAILED"}},
		},
	}
}

// A NATS subscriber, core or JetStream, receives exactly the EVENTS.md
// JSON with the CloudEvents content type and the dedup header, on a subject
// whose tokens OMS text cannot break.
func TestSubscriberReceivesTheEventJSON(t *testing.T) {
	cases := []struct {
		name    string
		cfg     natssink.Config
		project string
		subject string
	}{
		{"core default subject", natssink.Config{}, "orders", "oms.events.oms_cn-hangzhou.np_7hq2kd81.oms.step.status_changed"},
		{"jetstream", natssink.Config{JetStream: true, Stream: "USER"}, "orders", "oms.events.oms_cn-hangzhou.np_7hq2kd81.oms.step.status_changed"},
		{"hostile name", natssink.Config{Subject: setting.Template{Text: "alerts.{{.Project.Name}}.{{.Data.step}}"}}, "a.b *> c", "alerts.a_b_c.FULL_TRANSFER"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := sinktest.StartNATS(t, 0)
			nc, js := sinktest.Connect(t, srv)
			sub, err := nc.SubscribeSync(">")
			if err != nil {
				t.Fatal(err)
			}
			if tc.cfg.JetStream {
				if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "USER", Subjects: []string{"oms.events.>"}}); err != nil {
					t.Fatal(err)
				}
			}
			s, err := natssink.New(tc.cfg, nc)
			if err != nil {
				t.Fatal(err)
			}
			e := sampleEvent(tc.project)
			if err := s.Send(t.Context(), sinks.Notification{Events: []event.Event{e}}); err != nil {
				t.Fatal(err)
			}
			m := nextUserMsg(t, sub)
			want, _ := e.JSON()
			if string(m.Data) != string(want) {
				t.Errorf("body\n got %s\nwant %s", m.Data, want)
			}
			if m.Subject != tc.subject {
				t.Errorf("subject %q, want %q", m.Subject, tc.subject)
			}
			if m.Header.Get("Content-Type") != "application/cloudevents+json" || m.Header.Get("Nats-Msg-Id") != e.ID {
				t.Errorf("headers %v", m.Header)
			}
			if tc.cfg.JetStream {
				// A retry of the same event is stored once.
				if err := s.Send(t.Context(), sinks.Notification{Events: []event.Event{e}}); err != nil {
					t.Fatal(err)
				}
				st, _ := js.Stream(t.Context(), "USER")
				info, _ := st.Info(t.Context())
				if info.State.Msgs != 1 {
					t.Errorf("stream holds %d, want 1", info.State.Msgs)
				}
			}
		})
	}
}

// nextUserMsg skips JetStream's own API traffic.
func nextUserMsg(t *testing.T, sub *nats.Subscription) *nats.Msg {
	t.Helper()
	for {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.Subject, "$JS") && !strings.HasPrefix(m.Subject, "_INBOX") {
			return m
		}
	}
}

func TestBadSubjectsArePermanent(t *testing.T) {
	srv := sinktest.StartNATS(t, 0)
	nc, _ := sinktest.Connect(t, srv)
	for _, subj := range []string{"x.{{.Data.missing}}", "a..b", "{{.Type}} x"} {
		s, err := natssink.New(natssink.Config{Subject: setting.Template{Text: subj}}, nc)
		if err != nil {
			t.Fatal(err)
		}
		e := sampleEvent("x")
		err = s.Send(t.Context(), sinks.Notification{Events: []event.Event{e}})
		var pe *sinks.PartialError
		if !sinks.IsPermanent(err) || !errors.As(err, &pe) || pe.Err != nil || !sinks.IsPermanent(pe.Failed[e.ID]) {
			t.Errorf("%q: error %v, want the event refused for good", subj, err)
		}
	}
	if _, err := natssink.New(natssink.Config{Subject: setting.Template{Text: "{{"}}, nc); err == nil {
		t.Error("a broken template compiled")
	}
}
