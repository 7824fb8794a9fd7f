package sinks

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// fakeMsg is a message that only knows its name.
type fakeMsg struct {
	jetstream.Msg
	name string
}

// The acknowledgement goes to the end of the finished prefix, never past
// an unfinished message, whatever order messages finish or come again in.
func TestAckOrder(t *testing.T) {
	a := newAckOrder()
	msg := func(n string) jetstream.Msg { return fakeMsg{name: n} }
	name := func(m jetstream.Msg) string {
		if m == nil {
			return ""
		}
		return m.(fakeMsg).name
	}
	steps := []struct {
		op   string // push or finish
		seq  uint64
		want string // the message acknowledged after a finish
	}{
		{"push", 1, ""}, {"push", 2, ""}, {"push", 3, ""},
		{"finish", 2, ""},                // 1 is still out
		{"finish", 3, ""},                // still 1
		{"push", 3, ""},                  // a redelivery of 3: refreshed, stays finished
		{"finish", 1, "3"},               // 1, 2, 3 at once, with 3's handle
		{"push", 5, ""}, {"push", 4, ""}, // a redelivery out of order
		{"finish", 5, ""},
		{"finish", 4, "5"},
		{"push", 2, ""}, // a late copy of an acknowledged one
		{"finish", 2, "2"},
	}
	for i, s := range steps {
		switch s.op {
		case "push":
			a.push(s.seq, msg(string(rune('0'+s.seq))))
		case "finish":
			if got := name(a.finish(s.seq)); got != s.want {
				t.Fatalf("step %d: finish %d acknowledged %q, want %q", i, s.seq, got, s.want)
			}
		}
	}
	if n := len(a.pending()); n != 0 {
		t.Errorf("%d still pending", n)
	}
}
