package poller

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/cpuslot"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// Of the Workers polling a page of changed entries at once, no more than
// Busy work on their changes at the same time (each would otherwise take
// that many times longer on a machine with fewer cores), and as many as
// Busy do; a hand-off waiting (cpuslot.Do, as the pipeline waits for NATS)
// holds no slot, so more than Busy wait at once.
func TestBusyBoundsThePollsHandingOff(t *testing.T) {
	for _, busy := range []int{1, 3} {
		sim, _ := newSim(t, 60, 3)
		api := cloudAPI(t, sim, omsapi.Options{MaxInFlight: 8, Timeout: time.Minute}, omssim.DemoAccessKeySecret)
		var now, most, waiting, mostWaiting atomic.Int32
		peak := func(c, m *atomic.Int32) func() {
			n := c.Add(1)
			for old := m.Load(); n > old && !m.CompareAndSwap(old, n); old = m.Load() {
			}
			return func() { c.Add(-1) }
		}
		h := HandlerFunc(func(ctx context.Context, _ Change) error {
			done := peak(&now, &most)
			time.Sleep(5 * time.Millisecond) // work, long enough for the others to pile up behind the bound
			done()
			return cpuslot.Do(ctx, func() error {
				defer peak(&waiting, &mostWaiting)()
				time.Sleep(20 * time.Millisecond) // a wait for NATS
				return nil
			})
		})
		p := newPoller(t, api, newMemStore(), h, func(o *Options) {
			o.List, o.Mode, o.Workers, o.Busy = &oms.ListQuery{PageSize: 100}, TwoTier, 16, busy
		})
		if s := runOnce(t, p); s.Changed == 0 || s.Failed != 0 {
			t.Fatalf("Busy %d: first sight %+v, want every project handed off", busy, s)
		}
		if got := most.Load(); got != int32(busy) {
			t.Errorf("Busy %d: %d polls worked at the same time, want %d", busy, got, busy)
		}
		if got := mostWaiting.Load(); got <= int32(busy) {
			t.Errorf("Busy %d: at most %d polls waited at the same time: a wait kept its slot", busy, got)
		}
	}
}
