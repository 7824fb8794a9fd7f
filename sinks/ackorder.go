package sinks

import "github.com/nats-io/nats.go/jetstream"

// ackOrder acknowledges an AckAll consumer's messages in stream order: a
// message is finished when delivered, dead-lettered or not addressed to the
// target, and the acknowledgement goes to the last message of the finished
// prefix, which acknowledges everything up to it at once. A message still
// being delivered holds back the acknowledgement of those after it, so a
// crash never loses one.
type ackOrder struct {
	q     []*slot // ascending stream sequence
	head  int
	bySeq map[uint64]*slot
}

type slot struct {
	seq  uint64
	msg  jetstream.Msg
	done bool
}

func newAckOrder() *ackOrder { return &ackOrder{bySeq: map[uint64]*slot{}} }

// push tracks a message; a redelivery of a tracked one refreshes its handle.
func (a *ackOrder) push(seq uint64, m jetstream.Msg) {
	if s, ok := a.bySeq[seq]; ok {
		s.msg = m
		return
	}
	s := &slot{seq: seq, msg: m}
	a.bySeq[seq] = s
	a.q = append(a.q, s)
	// Redeliveries can come after later messages: keep the order.
	for i := len(a.q) - 1; i > a.head && a.q[i].seq < a.q[i-1].seq; i-- {
		a.q[i], a.q[i-1] = a.q[i-1], a.q[i]
	}
}

// finish marks seq finished and returns the message to acknowledge, or nil
// when an earlier one is still unfinished.
func (a *ackOrder) finish(seq uint64) jetstream.Msg {
	if s, ok := a.bySeq[seq]; ok {
		s.done = true
	}
	var last jetstream.Msg
	for a.head < len(a.q) && a.q[a.head].done {
		s := a.q[a.head]
		last = s.msg
		delete(a.bySeq, s.seq)
		a.q[a.head] = nil
		a.head++
	}
	if a.head > 1024 && a.head*2 > len(a.q) {
		a.q = append([]*slot(nil), a.q[a.head:]...)
		a.head = 0
	}
	return last
}

// pending returns the messages not acknowledged yet.
func (a *ackOrder) pending() []jetstream.Msg {
	out := make([]jetstream.Msg, 0, len(a.q)-a.head)
	for _, s := range a.q[a.head:] {
		out = append(out, s.msg)
	}
	return out
}
