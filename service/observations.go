package service

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// observation is one record of the observation log (sinks'
// OMSWATCH_OBSERVATIONS stream): what one hand-off to the pipeline
// carried, enough to rebuild it for a backtest. Snapshots are kept as a
// chain: a whole snapshot (first sight, the first change after a start,
// then one a day) and between them RFC 7396 merge patches, every value
// redacted as events redact them. Stored DEFLATE-compressed.
type observation struct {
	Time    time.Time `json:"t"`
	Source  string    `json:"s"`
	Project string    `json:"p"`
	// Prev and Digest are the digests of the change's Previous and
	// Current snapshots ("" for none): the ids of its events were made
	// from Digest, and Prev links the record to the one before.
	Prev   string `json:"prev,omitempty"`
	Digest string `json:"d,omitempty"`
	// Snapshot is Current whole (redacted canonical JSON); else Patch
	// turns Previous into it (nil: they are equal).
	Snapshot json.RawMessage `json:"snap,omitempty"`
	Patch    map[string]any  `json:"patch,omitempty"`
	Quiet    bool            `json:"quiet,omitempty"`
	Removed  bool            `json:"removed,omitempty"`
	// Events are the poller's own events (CloudEvents JSON).
	Events []json.RawMessage `json:"events,omitempty"`
	// QuietFrom and QuietGaps are the quiet polls before this one that
	// changed nothing (no event, no condition state) and were not recorded
	// one by one: the first at QuietFrom, each next QuietGaps[i]
	// milliseconds after the one before.
	QuietFrom time.Time `json:"qf,omitzero"`
	QuietGaps []int64   `json:"qg,omitempty"`
}

// Bounds of the observation log's writer.
const (
	// keyframeEvery is how often a project's record holds its whole
	// snapshot, so that the chain survives the stream's retention.
	keyframeEvery = 24 * time.Hour
	// quietFlush bounds how long quiet polls wait in memory for the next
	// record: a quiet poll that much after the first waiting one is
	// recorded, with those before it.
	quietFlush = time.Hour
	// quietMax bounds how many quiet polls wait in memory per project.
	quietMax = 1000
)

// recorder writes the observation log. Safe for concurrent use: the
// poller hands off several projects at once (one at a time each).
type recorder struct {
	outbox *sinks.Outbox
	mu     sync.Mutex
	seen   map[[2]string]*recorded
}

// recorded is what the recorder remembers of a project.
type recorded struct {
	keyframe  time.Time // when its whole snapshot was last written
	quietFrom time.Time // the first quiet poll not yet written
	quietLast time.Time
	gaps      []int64
}

func newRecorder(o *sinks.Outbox) *recorder {
	return &recorder{outbox: o, seen: map[[2]string]*recorded{}}
}

// Record writes what a hand-off carried. The pipeline calls it once the
// change's events are stored and before it returns: a crash before the
// record is written repeats the change (the poller saves the snapshot only
// after the hand-off), so no record is lost. A quiet poll that decided
// nothing (no event, no change of a condition's state) waits in memory
// for the project's next record, at most quietFlush: a crash loses at
// most that much of them, which under the running rules made no
// difference.
func (r *recorder) Record(ctx context.Context, c poller.Change, out rules.Outcome) error {
	key := [2]string{c.Source, c.Project}
	r.mu.Lock()
	p := r.seen[key]
	if p == nil {
		p = &recorded{}
		r.seen[key] = p
	}
	idle := c.Quiet && len(out.Events) == 0 && !out.StateChanged
	if idle && (p.quietFrom.IsZero() || c.Time.Sub(p.quietFrom) < quietFlush && len(p.gaps) < quietMax) {
		p.quiet(c.Time)
		r.mu.Unlock()
		return nil
	}
	o := observation{Time: c.Time.UTC(), Source: c.Source, Project: c.Project, Quiet: c.Quiet, Removed: c.Removed,
		QuietFrom: p.quietFrom, QuietGaps: p.gaps}
	keyframe := c.Current != nil && (c.Previous == nil || c.Time.Sub(p.keyframe) >= keyframeEvery)
	r.mu.Unlock()
	if err := o.fill(c, keyframe); err != nil {
		return err
	}
	data, err := o.encode()
	if err != nil {
		return err
	}
	if err := r.outbox.RecordObservation(ctx, c.Source, c.Project, o.id(), data); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p.quietFrom, p.quietLast, p.gaps = time.Time{}, time.Time{}, nil
	if keyframe {
		p.keyframe = c.Time
	}
	return nil
}

// quiet notes a quiet poll that is not written now.
func (p *recorded) quiet(t time.Time) {
	if p.quietFrom.IsZero() {
		p.quietFrom, p.gaps = t.UTC(), []int64{0}
	} else {
		p.gaps = append(p.gaps, t.Sub(p.quietLast).Milliseconds())
	}
	p.quietLast = t
}

// fill sets what the change carries: its snapshots and the poller's events.
func (o *observation) fill(c poller.Change, keyframe bool) error {
	if c.Previous != nil {
		o.Prev = c.Previous.Digest()
	}
	for _, e := range c.Events {
		b, err := e.JSON()
		if err != nil {
			return fmt.Errorf("observation of %s: %w", c.Project, err)
		}
		o.Events = append(o.Events, b)
	}
	if c.Current == nil {
		return nil
	}
	o.Digest = c.Current.Digest()
	switch {
	case keyframe:
		s, err := oms.Canonicalize(differ.Redact(c.Current.Tree()))
		if err != nil {
			return fmt.Errorf("observation of %s: %w", c.Project, err)
		}
		o.Snapshot = s.JSON()
	case o.Prev != o.Digest:
		o.Patch = differ.Redact(mergePatch(oms.Delta(c.Previous, c.Current)))
	}
	return nil
}

// id is the record's Nats-Msg-Id: the same hand-off repeated is stored
// once.
func (o *observation) id() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%t", o.Source, o.Project, o.Time.Format(time.RFC3339Nano), o.Digest, o.Quiet)
	return "obs-" + hex.EncodeToString(h.Sum(nil)[:16])
}

func (o *observation) encode() ([]byte, error) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed) // a valid level cannot fail
	if err := json.NewEncoder(w).Encode(o); err != nil {
		return nil, fmt.Errorf("observation of %s: %w", o.Project, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("observation of %s: %w", o.Project, err)
	}
	return buf.Bytes(), nil
}

func decodeObservation(data []byte) (observation, error) {
	var o observation
	dec := json.NewDecoder(flate.NewReader(bytes.NewReader(data)))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil && err != io.EOF {
		return o, fmt.Errorf("observation record: %w", err)
	}
	return o, nil
}

// mergePatch is the RFC 7396 merge patch from a to b, two trees as
// oms.Delta returns them (the members that differ): a member only in a
// becomes null (canonical snapshots have no nulls of their own), objects
// on both sides are merged recursively, anything else is b's value.
func mergePatch(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(b))
	for k := range a {
		if _, ok := b[k]; !ok {
			out[k] = nil
		}
	}
	for k, bv := range b {
		am, aok := a[k].(map[string]any)
		bm, bok := bv.(map[string]any)
		if aok && bok {
			out[k] = mergePatch(am, bm)
			continue
		}
		out[k] = bv
	}
	return out
}

// applyMergePatch returns doc with the patch applied; doc is not modified.
func applyMergePatch(doc, patch map[string]any) map[string]any {
	out := make(map[string]any, len(doc)+len(patch))
	for k, v := range doc {
		out[k] = v
	}
	for k, pv := range patch {
		switch pv := pv.(type) {
		case nil:
			delete(out, k)
		case map[string]any:
			dm, _ := out[k].(map[string]any)
			out[k] = applyMergePatch(dm, pv)
		default:
			out[k] = pv
		}
	}
	return out
}
