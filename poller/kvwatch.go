package poller

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// WatchFunc receives the records of a watch: rec is zero and deleted true
// when the project's record was deleted. A record that does not decode is
// passed with err set, so a reader can say which project it cannot show.
type WatchFunc func(source, project string, rec Record, deleted bool, err error)

// Watch hands fn every record in the bucket, then each record as it is
// written, until ctx ends: the store read the way a reader (the console)
// follows it, whichever replica wrote. loaded is called once when the
// records there were at the start have all been handed over. Watch returns
// after starting; fn is called from one goroutine.
func (s *KVStore) Watch(ctx context.Context, fn WatchFunc, loaded func()) error {
	w, err := s.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch the snapshot store: %w", err)
	}
	go func() {
		defer func() { _ = w.Stop() }()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					loaded()
					continue
				}
				watchEntry(e, s.echoes, fn)
			}
		}
	}()
	return nil
}

func watchEntry(e jetstream.KeyValueEntry, echoes *Echoes, fn WatchFunc) {
	src, project, ok := strings.Cut(e.Key(), ".")
	if !ok {
		return // not a key of ours
	}
	b, err := base64.RawURLEncoding.DecodeString(src)
	if err != nil {
		return
	}
	if e.Operation() != jetstream.KeyValuePut {
		fn(string(b), project, Record{}, true, nil)
		return
	}
	rec, ours := echoes.take(e.Key(), e.Value())
	if !ours {
		rec, err = decodeRecord(e.Value())
	}
	if err != nil {
		fn(string(b), project, Record{}, false, fmt.Errorf("snapshot %s (revision %d): %w", project, e.Revision(), err))
		return
	}
	rec.Revision = e.Revision()
	fn(string(b), project, rec, false, nil)
}
