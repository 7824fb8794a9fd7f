package poller

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// Of the Workers polling a page of changed entries at once, no more than
// Busy hand their changes off at the same time (each would otherwise take
// that many times longer on a machine with fewer cores), and as many as
// Busy do.
func TestBusyBoundsThePollsHandingOff(t *testing.T) {
	for _, busy := range []int{1, 3} {
		sim, _ := newSim(t, 60, 3)
		api := cloudAPI(t, sim, omsapi.Options{MaxInFlight: 8, Timeout: time.Minute}, omssim.DemoAccessKeySecret)
		var now, most atomic.Int32
		h := HandlerFunc(func(context.Context, Change) error {
			n := now.Add(1)
			defer now.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond) // long enough for the others to pile up behind the bound
			return nil
		})
		p := newPoller(t, api, newMemStore(), h, func(o *Options) {
			o.List, o.Mode, o.Workers, o.Busy = &oms.ListQuery{PageSize: 100}, TwoTier, 16, busy
		})
		if s := runOnce(t, p); s.Changed == 0 || s.Failed != 0 {
			t.Fatalf("Busy %d: first sight %+v, want every project handed off", busy, s)
		}
		if got := most.Load(); got != int32(busy) {
			t.Errorf("Busy %d: %d polls handed off at the same time, want %d", busy, got, busy)
		}
	}
}
