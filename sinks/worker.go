package sinks

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// worker delivers one target's messages: a Consume callback filters the
// stream and queues what is addressed to the target; one goroutine groups,
// sends, retries and acknowledges, so a target's notifications go out in
// order and one at a time.
type worker struct {
	d       *Dispatcher
	t       Target
	g       Grouper
	cons    jetstream.Consumer
	cc      jetstream.ConsumeContext
	log     *slog.Logger
	in      chan jetstream.Msg
	wake    chan struct{}
	quit    chan struct{}
	stopped sync.Once

	draining atomic.Bool
	queued   atomic.Int64 // messages in `in` or held, not yet acknowledged

	health health // the run of failures (the worker's goroutine only)

	mu   sync.Mutex
	held map[string]*heldMsg // by event id
	// waiting are the messages in `in`, by stream sequence, with the
	// newest handle of each: kept alive like held ones, and a redelivery
	// of one is not queued twice.
	waiting map[uint64]jetstream.Msg
	acked   *seqSet
	// order is set for an AckAll consumer (a Batcher target), which
	// acknowledges in stream order.
	order *ackOrder
}

// heldMsg is a message the worker took and has not acknowledged yet.
type heldMsg struct {
	msg     jetstream.Msg
	seq     uint64
	status  string // the status header, decoded only for a grouped target
	payload []byte
	// requeued is set for a resend or fallback: which dead letter it is.
	requeued string
}

func newWorker(d *Dispatcher, t Target, g Grouper, cons jetstream.Consumer) *worker {
	return &worker{d: d, t: t, g: g, cons: cons, log: d.log.With("target", t.Name),
		// The server never has more than MaxAckPending messages out to us,
		// so the callback never blocks on a full queue.
		in:   make(chan jetstream.Msg, d.opts.MaxAckPending+64),
		wake: make(chan struct{}, 1), quit: make(chan struct{}),
		held: map[string]*heldMsg{}, waiting: map[uint64]jetstream.Msg{}, acked: newSeqSet(1 << 20), order: orderFor(t)}
}

func orderFor(t Target) *ackOrder {
	if ackPolicy(t) == jetstream.AckAllPolicy {
		return newAckOrder()
	}
	return nil
}

func (w *worker) start(ctx context.Context, wg *sync.WaitGroup) error {
	cc, err := w.cons.Consume(w.receive, jetstream.PullMaxMessages(min(w.d.opts.MaxAckPending, 512)),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			w.log.Debug("consumer", "error", err)
		}))
	if err != nil {
		return err
	}
	w.cc = cc
	wg.Add(2)
	go func() { defer wg.Done(); w.run(ctx) }()
	go func() { defer wg.Done(); w.keepAlive(ctx) }()
	return nil
}

func (w *worker) stop() {
	w.stopped.Do(func() {
		close(w.quit) // first: a callback blocked on the queue returns
		if w.cc != nil {
			w.cc.Stop()
		}
	})
}

// receive runs on the consumer's goroutine: messages for other targets are
// acknowledged at once (in ordered mode the worker does it in order), the
// others queued, once: a redelivery of a message still queued only
// refreshes its handle.
func (w *worker) receive(m jetstream.Msg) {
	if w.order == nil && !addressed(m.Headers(), w.t.Name) {
		_ = m.Ack()
		return
	}
	if meta, err := m.Metadata(); err == nil {
		w.mu.Lock()
		_, again := w.waiting[meta.Sequence.Stream]
		w.waiting[meta.Sequence.Stream] = m
		w.mu.Unlock()
		if again {
			return
		}
	}
	w.queued.Add(1)
	select {
	case w.in <- m:
	case <-w.quit:
		w.queued.Add(-1)
	}
}

func (w *worker) setDraining() {
	w.draining.Store(true)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run is the worker's loop: deliver what is due, then wait for a message,
// the next due time, a drain or the end.
func (w *worker) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		w.deliverDue(ctx)
		if ctx.Err() != nil {
			return
		}
		timer.Reset(time.Hour)
		if next, ok := w.g.Next(); ok {
			timer.Reset(max(next.Sub(w.d.opts.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-w.quit:
			return
		case m := <-w.in:
			w.takeBatch(m)
		case <-timer.C:
		case <-w.wake:
		}
	}
}

// takeBatch takes m and whatever else is queued, up to a batch, and files
// them with the grouper: new messages as arrived now, redeliveries as
// arrived when they were published, so that a restarted dispatcher does
// not make them wait a group_wait they already waited.
func (w *worker) takeBatch(first jetstream.Msg) {
	ds := make([]Delivery, 0, 16)
	ages := make([]time.Duration, 0, 16)
	take := func(m jetstream.Msg) {
		if d, age, ok := w.take(m); ok {
			ds, ages = append(ds, d), append(ages, age)
		}
	}
	take(first)
	for len(ds) < w.d.opts.BatchSize {
		select {
		case m := <-w.in:
			take(m)
			continue
		default:
		}
		break
	}
	now := w.d.opts.Now()
	for len(ds) > 0 { // in stream order, in runs of one age
		k := 1
		for k < len(ds) && ages[k] == ages[0] {
			k++
		}
		w.g.Add(now.Add(-ages[0]), ds[:k])
		ds, ages = ds[k:], ages[k:]
	}
}

// take decodes a message into the target's delivery and holds it. A
// redelivery of a message already held only refreshes the handle; one
// already acknowledged (or an event stored twice, past the dedup window) is
// acknowledged again and skipped. For a redelivery (what a dispatcher that
// died or lost its lease held) it also returns how long ago the event was
// published: its group_wait has run since then.
func (w *worker) take(m jetstream.Msg) (Delivery, time.Duration, bool) {
	meta, err := m.Metadata()
	if err != nil {
		w.queued.Add(-1)
		_ = m.Term()
		return Delivery{}, 0, false
	}
	seq := meta.Sequence.Stream
	w.mu.Lock()
	defer w.mu.Unlock()
	if newest, ok := w.waiting[seq]; ok {
		m = newest
		delete(w.waiting, seq)
		if nm, err := m.Metadata(); err == nil {
			meta = nm
		}
	}
	var age time.Duration
	if meta.NumDelivered > 1 {
		age = max(time.Since(meta.Timestamp), 0)
	}
	d, ok := w.hold(seq, m)
	return d, age, ok
}

// hold is take's work on the worker's state (locked).
func (w *worker) hold(seq uint64, m jetstream.Msg) (Delivery, bool) {
	if w.acked.has(seq) {
		// Finished before (its acknowledgement was lost, or in ordered
		// mode still waits for an earlier message): finish it again. In
		// ordered mode a direct Ack would acknowledge every earlier
		// message too, delivered or not; the order tracker knows when.
		if w.order != nil {
			w.order.push(seq, m)
		}
		w.skip(seq, m)
		return Delivery{}, false
	}
	if w.order != nil {
		w.order.push(seq, m)
		if !addressed(m.Headers(), w.t.Name) {
			w.skip(seq, m)
			return Delivery{}, false
		}
	}
	ev, err := decodeForDelivery(m.Data())
	if err != nil {
		w.log.Error("a stored message is not an event; skipping it", "seq", seq, "error", err)
		w.skip(seq, m)
		return Delivery{}, false
	}
	if h, ok := w.held[ev.ID]; ok {
		if h.seq == seq {
			w.queued.Add(-1)
			h.msg = m
		} else {
			w.skip(seq, m) // stored twice, past the dedup window: deliver once
		}
		return Delivery{}, false
	}
	route, index, sev, _ := deliveryFor(m.Headers(), w.t.Name)
	h := &heldMsg{msg: m, seq: seq, status: m.Headers().Get(HeaderStatus), payload: m.Data()}
	if why := m.Headers().Get(HeaderRequeue); why != "" {
		h.requeued = why + " of dead letter " + m.Headers().Get(HeaderRequeueOf)
	}
	if sev.Rank() > 0 && sev != ev.Severity {
		// The target gets another severity than stored: it needs the
		// whole event to encode it anew.
		if ev, err = DecodeEvent(m.Data()); err != nil {
			w.skip(seq, m)
			return Delivery{}, false
		}
		ev.Severity, h.payload = sev, nil
	}
	w.held[ev.ID] = h
	return Delivery{Event: ev, Target: w.t.Name, Route: route, RouteIndex: index}, true
}

// deliverDue sends every notification that is due (all of them while
// draining).
func (w *worker) deliverDue(ctx context.Context) {
	var ns []Notification
	if w.draining.Load() {
		ns = w.g.Flush()
	} else {
		ns = w.g.Due(w.d.opts.Now())
	}
	for i := range ns {
		if ctx.Err() != nil {
			return
		}
		w.complete(&ns[i])
		w.deliver(ctx, ns[i])
	}
}

// complete adds what the grouper does not know: the stored payloads and the
// projects' latest status.
func (w *worker) complete(n *Notification) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n.Target = w.t.Name
	n.payloads = make([][]byte, len(n.Events))
	for i, e := range n.Events {
		h, ok := w.held[e.ID]
		if !ok {
			continue
		}
		n.payloads[i] = h.payload
		if !w.t.grouping() || h.status == "" {
			continue // machine targets show no status card
		}
		if st := decodeStatus(h.status); st != nil {
			if n.Status == nil {
				n.Status = map[string]*ProjectStatus{}
			}
			n.Status[st.ID] = st
		}
	}
}

// caughtUp reports whether the worker holds nothing and has acknowledged
// every message up to stream sequence last.
func (w *worker) caughtUp(ctx context.Context, last uint64) bool {
	if w.queued.Load() > 0 {
		return false
	}
	info, err := w.cons.Info(ctx)
	if err != nil {
		return false
	}
	return info.AckFloor.Stream >= last && info.NumAckPending == 0 && w.queued.Load() == 0
}

// keepAlive tells the server the held messages are in progress, so that
// group_wait, a rate limit or a downstream outage longer than AckWait does
// not get them redelivered.
func (w *worker) keepAlive(ctx context.Context) {
	tick := time.NewTicker(w.d.opts.AckWait / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.quit:
			return
		case <-tick.C:
		}
		w.mu.Lock()
		var msgs []jetstream.Msg
		if w.order != nil {
			msgs = w.order.pending()
		} else {
			// In stream order, not the map's: each message's AckWait
			// restarts at its in-progress ack, so after a crash the server
			// redelivers them in the order these acks were sent.
			held := slices.SortedFunc(maps.Values(w.held), func(a, b *heldMsg) int { return cmp.Compare(a.seq, b.seq) })
			for _, h := range held {
				msgs = append(msgs, h.msg)
			}
		}
		// Then those queued behind a send: a retry can take longer than
		// AckWait.
		for _, seq := range slices.Sorted(maps.Keys(w.waiting)) {
			msgs = append(msgs, w.waiting[seq])
		}
		w.mu.Unlock()
		for _, m := range msgs {
			_ = m.InProgress()
		}
	}
}

// seqSet remembers which of the last n stream sequences (the highest
// added and the n-1 before it) were acknowledged: a bit each, so a
// worker's memory of them is n/8 bytes (a map of the last 65,536 took
// megabytes a target).
type seqSet struct {
	bits []uint64
	hi   uint64 // the highest sequence added (0: none)
}

// newSeqSet returns a set over a window of n sequences, n a multiple of 64.
func newSeqSet(n int) *seqSet { return &seqSet{bits: make([]uint64, n/64)} }

func (s *seqSet) window() uint64 { return uint64(len(s.bits)) * 64 }

func (s *seqSet) has(seq uint64) bool {
	if seq == 0 || seq > s.hi || s.hi-seq >= s.window() {
		return false
	}
	i := seq % s.window()
	return s.bits[i/64]&(1<<(i%64)) != 0
}

func (s *seqSet) add(seq uint64) {
	if seq == 0 || (seq <= s.hi && s.hi-seq >= s.window()) {
		return // older than the window: forgotten already
	}
	if seq > s.hi {
		// The sequences between the old highest and this one leave the
		// window's slots they reuse.
		if seq-s.hi >= s.window() {
			clear(s.bits)
		} else {
			for q := s.hi + 1; q < seq; q++ {
				i := q % s.window()
				s.bits[i/64] &^= 1 << (i % 64)
			}
		}
		s.hi = seq
	}
	i := seq % s.window()
	s.bits[i/64] |= 1 << (i % 64)
}
