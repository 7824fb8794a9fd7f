package poller

import (
	"context"

	"github.com/omswatch/omswatch/internal/cpuslot"
	"github.com/omswatch/omswatch/oms"
)

// slotStore is the Store as a poll uses it: each call is a wait on NATS,
// made without the poll's CPU slot (see Options.Busy).
type slotStore struct{ s Store }

func (w slotStore) Get(ctx context.Context, source, project string) (Record, error) {
	return cpuslot.Wait(ctx, func() (Record, error) { return w.s.Get(ctx, source, project) })
}

func (w slotStore) Put(ctx context.Context, source, project string, rec Record) (uint64, error) {
	return cpuslot.Wait(ctx, func() (uint64, error) { return w.s.Put(ctx, source, project, rec) })
}

func (w slotStore) PutMeta(ctx context.Context, source, project string, rec Record) (uint64, error) {
	return cpuslot.Wait(ctx, func() (uint64, error) { return w.s.PutMeta(ctx, source, project, rec) })
}

func (w slotStore) Delete(ctx context.Context, source, project string, revision uint64) error {
	return cpuslot.Do(ctx, func() error { return w.s.Delete(ctx, source, project, revision) })
}

// fetch describes a project without the poll's CPU slot: the answer may
// take a while.
func (p *Poller) fetch(ctx context.Context, id string) (*oms.Snapshot, error) {
	return cpuslot.Wait(ctx, func() (*oms.Snapshot, error) { return p.opts.Fetcher.Fetch(ctx, id) })
}
