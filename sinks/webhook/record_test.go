package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/sinktest"
	"github.com/omswatch/omswatch/sinks/webhook"
)

// TestDeliveryAttemptsAreRecorded: each attempt at a webhook is one
// delivery record with its outcome, the receiver's HTTP status on success
// and the (redacted) error otherwise, until delivered or dead-lettered.
func TestDeliveryAttemptsAreRecorded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int // the receiver's answers, in turn; then 200
		want     []string
	}{
		{"accepted at once", nil, []string{"1 delivered 200"}},
		{"two failures, then accepted", []int{503, 500}, []string{"1 retrying 0 503", "2 retrying 0 500", "3 delivered 200"}},
		{"refused for good", []int{400}, []string{"1 dead_lettered 0 400"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			srv := sinktest.StartNATS(t, 0)
			_, js := sinktest.Connect(t, srv)
			ob, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			answers := tc.statuses
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if len(answers) == 0 {
					return
				}
				w.WriteHeader(answers[0])
				answers = answers[1:]
			}))
			defer hs.Close()
			url := hs.URL + "/hook?token=s3cret-in-url"
			red := &secret.Redactor{}
			s, err := webhook.New("relay", webhook.Config{URL: secret.New(url)}, red)
			if err != nil {
				t.Fatal(err)
			}
			d, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, Redactor: red, InitialBackoff: time.Millisecond,
				MaxBackoff: 2 * time.Millisecond, Targets: []sinks.Target{{Name: "relay", Sink: s}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Start(ctx); err != nil {
				t.Fatal(err)
			}
			e := sample(1)
			if err := ob.Publish(ctx, []sinks.Entry{{Event: e, Deliveries: []sinks.Delivery{{Event: e, Target: "relay", RouteIndex: -1}}}}); err != nil {
				t.Fatal(err)
			}
			if err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			d.Close() // stores the records still queued
			recs, err := sinks.Records(ctx, js, sinks.RecordQuery{Project: e.Subject})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				dr := r.Delivery
				if dr == nil || len(dr.Events) != 1 || dr.Events[0] != e.ID || dr.Target != "relay" {
					t.Fatalf("record %+v", r)
				}
				line := strings.Join([]string{strconv.Itoa(dr.Attempt), dr.Outcome, strconv.Itoa(dr.Receipts[e.ID].Status)}, " ")
				if dr.Error != "" {
					line += " " + strings.Fields(strings.SplitN(dr.Error, ": ", 2)[1])[0]
				}
				if strings.Contains(dr.Error, "s3cret") {
					t.Errorf("a secret in the record: %s", dr.Error)
				}
				got = append(got, line)
			}
			if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
				t.Errorf("records %q, want %q", got, tc.want)
			}
		})
	}
}
