package sinks_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/sinks"
)

// ReadStream reads every message on its filter up to the last one stored
// when it started, over several fetches, from a start time when given; a
// filter with nothing on it, or nothing since, reads nothing at once.
func TestReadStreamReadsToTheLastStoredMessage(t *testing.T) {
	_, js := startServer(t)
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R", Subjects: []string{"r.>"}}); err != nil {
		t.Fatal(err)
	}
	const n = 700 // three fetches of 256
	for i := range n {
		subject := "r.a"
		if i%2 == 1 {
			subject = "r.b"
		}
		if _, err := js.Publish(ctx, subject, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	mid := time.Now()
	time.Sleep(10 * time.Millisecond) // stored times must differ from mid
	if _, err := js.Publish(ctx, "r.a", []byte("late")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, filter string
		since        time.Time
		want         int
	}{
		{"all", "r.>", time.Time{}, n + 1},
		{"one subject", "r.b", time.Time{}, n / 2},
		{"since", "r.a", mid, 1},
		{"nothing since", "r.b", mid, 0},
		{"nothing on the filter", "r.c", time.Time{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := 0
			err := sinks.ReadStream(ctx, js, "R", tc.filter, tc.since, func(jetstream.Msg, *jetstream.MsgMetadata) error {
				got++
				return nil
			})
			if err != nil || got != tc.want {
				t.Errorf("read %d messages (error %v), want %d", got, err, tc.want)
			}
		})
	}
	if err := sinks.ReadStream(ctx, js, "NONE", "x.>", time.Time{}, nil); err != nil {
		t.Errorf("a stream that does not exist: %v, want nothing read", err)
	}
}
