package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"

	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// observation is one record of the observation log (sinks'
// OMSWATCH_OBSERVATIONS stream): what a hand-off to the pipeline carried,
// enough to rebuild it for a backtest, after the observations before it
// that decided nothing (Idle). Snapshots are kept as a chain: a whole
// snapshot (first sight, a chain that does not follow on, then one a
// day) and between them RFC 7396 merge patches, every value redacted as
// events redact them. Stored as JSON, DEFLATE-compressed from
// compressAbove bytes.
type observation struct {
	Source  string `json:"s"`
	Project string `json:"p"`
	// IdleFrom and Idle are the observations before this one that
	// decided nothing under the running rules (no event, no change of a
	// condition's state): quiet polls and telemetry that moved. They are
	// written in batches, with the next observation that decides
	// something or at most idleFlush after the first of them.
	IdleFrom time.Time `json:"if,omitzero"`
	Idle     []idleObs `json:"idle,omitempty"`
	Time     time.Time `json:"t"`
	// Prev and Digest are the digests of the change's Previous (its
	// first prevLen hex digits: the link to the record before) and
	// Current snapshots ("" for none); the ids of its events were made
	// from Digest.
	Prev   string `json:"prev,omitempty"`
	Digest string `json:"d,omitempty"`
	// Snapshot is Current whole (redacted canonical JSON); else Patch
	// turns Previous into it (nil: they are equal).
	Snapshot json.RawMessage `json:"snap,omitempty"`
	Patch    map[string]any  `json:"patch,omitempty"`
	// patchJSON is Patch as canonical JSON, for a patch that waited in
	// memory (see waiting); written in its place.
	patchJSON []byte
	Quiet     bool `json:"quiet,omitempty"`
	Removed   bool `json:"removed,omitempty"`
	// Events are the poller's own events (CloudEvents JSON).
	Events []json.RawMessage `json:"events,omitempty"`
	// Keyframe is when the chain's last whole snapshot was written.
	Keyframe time.Time `json:"k,omitzero"`
	// Omitted says the snapshots were left out: the record was larger
	// than the server's max_payload. The chain starts again at the next
	// whole snapshot.
	Omitted bool `json:"omitted,omitempty"`
}

// idleObs is an observation that decided nothing: a quiet poll (no
// Patch), or telemetry that moved (Patch, and Digest: the first prevLen
// hex digits of the new snapshot's digest).
type idleObs struct {
	// Gap is the time in milliseconds since the observation before (the
	// first: since IdleFrom, so 0).
	Gap    int64          `json:"g"`
	Patch  map[string]any `json:"p,omitempty"`
	Digest string         `json:"d,omitempty"`
	// patchJSON is Patch as canonical JSON (see waiting), written in its
	// place.
	patchJSON []byte
}

// Bounds of the observation log's writer.
const (
	// keyframeEvery is how often a project's record holds its whole
	// snapshot, so that the chain survives the stream's retention.
	keyframeEvery = 24 * time.Hour
	// idleFlush bounds how long observations that decided nothing wait in
	// memory: a stop without Flush or a crash loses at most that much of
	// them (under the running rules they made no difference).
	idleFlush = 10 * time.Minute
	// idleMax bounds how many wait per project.
	idleMax = 1000
	// prevLen is how much of a digest links a record to the one before.
	prevLen = 16
	// compressAbove is the size from which a record is compressed:
	// DEFLATE makes a patch of a few telemetry values larger.
	compressAbove = 256
)

// recorder writes the observation log. Safe for concurrent use: the
// poller hands off several projects at once, one change at a time each.
type recorder struct {
	outbox *sinks.Outbox
	// writers reuses DEFLATE compressors (a megabyte of tables each).
	writers sync.Pool
	mu      sync.Mutex
	seen    map[[2]string]*recorded
}

// recorded is what the recorder knows of a project's chain.
type recorded struct {
	mu       sync.Mutex
	loaded   bool
	last     string    // digest of the last observation, written or waiting
	keyframe time.Time // when its whole snapshot was last written
	idle     []waiting
}

// waiting is an observation that decided nothing, not yet written. Its
// patch is kept as the canonical JSON it will be written as: a tenth of
// the size of the decoded values, which are copied out of the answer they
// were decoded from anyway (a whole ListProjects page for a telemetry
// refresh, which they would keep alive while they wait), and nothing for
// the collector to scan. Up to idleFlush of them wait for each project.
type waiting struct {
	at           time.Time
	prev, digest string
	patch        []byte // nil: no change
}

func newRecorder(o *sinks.Outbox) *recorder {
	return &recorder{outbox: o, seen: map[[2]string]*recorded{}}
}

// project returns what is known of a project's chain, from the log's last
// record the first time (so a restart or a once run from cron carries the
// chain on rather than starting it again); fresh says the caller starts a
// chain anyway (a first sight's whole snapshot), which needs nothing of
// the log: at the first read of a fleet of 100,000 projects, as many
// reads of the log. Its mu is held on return.
func (r *recorder) project(ctx context.Context, source, project string, fresh bool) (*recorded, error) {
	r.mu.Lock()
	p := r.seen[[2]string{source, project}]
	if p == nil {
		p = &recorded{}
		r.seen[[2]string{source, project}] = p
	}
	r.mu.Unlock()
	p.mu.Lock()
	if p.loaded || fresh {
		p.loaded = true
		return p, nil
	}
	data, err := r.outbox.LastObservation(ctx, source, project)
	if err == nil && data != nil {
		var o observation
		if o, err = decodeObservation(data); err == nil {
			p.last, p.keyframe = o.Digest, o.Keyframe
		}
	}
	if err != nil {
		p.mu.Unlock()
		return nil, err
	}
	p.loaded = true
	return p, nil
}

// Record writes what a hand-off carried. The pipeline calls it once the
// change's events are stored and before it returns: a crash before the
// record is written repeats the change (the poller saves the snapshot
// only after the hand-off). An observation that decided nothing waits in
// memory (idleFlush at most); the next record carries it.
func (r *recorder) Record(ctx context.Context, c poller.Change, out rules.Outcome) error {
	// A first sight (no previous snapshot) writes a whole snapshot.
	p, err := r.project(ctx, c.Source, c.Project, c.Previous == nil && c.Current != nil)
	if err != nil {
		return err
	}
	defer p.mu.Unlock()
	var prev string
	if c.Previous != nil {
		prev = c.Previous.Digest()
	}
	keyframe := c.Current != nil && (prev == "" || prev != p.last || c.Time.Sub(p.keyframe) >= keyframeEvery)
	if c.Current != nil && !keyframe && !c.Removed && len(c.Events) == 0 && len(out.Events) == 0 && !out.DecisionsChanged {
		w := waiting{at: c.Time.UTC(), prev: prev, digest: c.Current.Digest()}
		if w.digest != prev {
			w.patch = []byte{} // changed, though the patch may be empty
			if patch := differ.Redact(mergePatch(oms.Delta(c.Previous, c.Current))); len(patch) > 0 {
				w.patch = oms.AppendCanonical(nil, patch)
			}
		}
		p.idle, p.last = append(p.idle, w), w.digest
		if c.Time.Sub(p.idle[0].at) < idleFlush && len(p.idle) < idleMax {
			return nil
		}
		return r.flush(ctx, c.Source, c.Project, p)
	}
	o := observation{Time: c.Time.UTC(), Prev: short(prev), Quiet: c.Quiet, Removed: c.Removed, Keyframe: p.keyframe}
	if keyframe {
		o.Keyframe = o.Time
	}
	if err := o.fill(c, out.Events, keyframe); err != nil {
		return err
	}
	err = r.write(ctx, c.Source, c.Project, p, o)
	if errors.Is(err, sinks.ErrTooLarge) {
		o.omit()
		err = r.write(ctx, c.Source, c.Project, p, o)
	}
	if err != nil {
		return err
	}
	if c.Removed { // not polled again: forget it
		r.mu.Lock()
		delete(r.seen, [2]string{c.Source, c.Project})
		r.mu.Unlock()
	}
	if o.Omitted {
		p.last = "" // the next change writes a whole snapshot
	} else if o.Digest != "" || c.Removed { // a failed poll's record says nothing of the snapshot
		p.last = o.Digest
	}
	p.keyframe = o.Keyframe
	return nil
}

// FlushObservations writes the observation log's observations still
// waiting in memory: at a stop, at the end of a once run.
func (d *delivery) FlushObservations(ctx context.Context) error {
	if d.pipe.record == nil {
		return nil
	}
	return d.pipe.record.Flush(ctx)
}

// Flush writes every observation still waiting.
func (r *recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	keys := make([][2]string, 0, len(r.seen))
	for k := range r.seen {
		keys = append(keys, k)
	}
	r.mu.Unlock()
	for _, k := range keys {
		p, err := r.project(ctx, k[0], k[1], false)
		if err != nil {
			return err
		}
		err = r.flush(ctx, k[0], k[1], p)
		p.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// flush writes the observations waiting: the last as the record's own.
func (r *recorder) flush(ctx context.Context, source, project string, p *recorded) error {
	if len(p.idle) == 0 {
		return nil
	}
	w := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	o := observation{Time: w.at, Prev: short(w.prev), Digest: w.digest, patchJSON: w.patch, Quiet: w.patch == nil,
		Keyframe: p.keyframe}
	err := r.write(ctx, source, project, p, o)
	if errors.Is(err, sinks.ErrTooLarge) {
		o.omit()
		if err = r.write(ctx, source, project, p, o); err == nil {
			p.last = "" // the next change writes a whole snapshot
		}
	}
	if err != nil {
		p.idle = append(p.idle, w)
	}
	return err
}

// omit leaves the snapshots out of a record too large to store, and the
// observations waiting before it.
func (o *observation) omit() {
	o.Snapshot, o.Patch, o.patchJSON, o.Idle, o.IdleFrom, o.Omitted = nil, nil, nil, nil, time.Time{}, true
}

// write stores o after the observations waiting, which it then forgets.
func (r *recorder) write(ctx context.Context, source, project string, p *recorded, o observation) error {
	o.Source, o.Project = source, project
	for i, w := range p.idle {
		if o.Omitted {
			break
		}
		if i == 0 {
			o.IdleFrom = w.at
		}
		e := idleObs{Gap: w.at.Sub(o.IdleFrom).Milliseconds(), patchJSON: w.patch}
		if i > 0 {
			e.Gap = w.at.Sub(p.idle[i-1].at).Milliseconds()
		}
		if w.patch != nil {
			e.Digest = short(w.digest)
		}
		o.Idle = append(o.Idle, e)
	}
	data, err := o.encode(&r.writers)
	if err != nil {
		return err
	}
	if err := r.outbox.RecordObservation(ctx, source, project, data); err != nil {
		return err
	}
	p.idle = nil
	return nil
}

func short(digest string) string { return digest[:min(len(digest), prevLen)] }

// outOfChain reports whether o, the next record read of a project, is
// none of its chain's: a record stored twice (a retried publish), or one
// written late by a replica that lost the project's lease (what waited
// at its stop, flushed after the new holder's records). lastTime is the
// time of the last record followed, which left the chain standing for
// digest (have: the chain holds a snapshot).
func outOfChain(o observation, lastTime time.Time, digest string, have bool) bool {
	if have && len(o.Idle) == 0 && o.Time.Equal(lastTime) && digest == o.Digest {
		return true
	}
	return o.Time.Before(lastTime)
}

// fill sets what the change carries: its snapshots and the poller's
// events; events are the change's events after the rules.
func (o *observation) fill(c poller.Change, events []event.Event, keyframe bool) error {
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
		// Redacting a canonical tree masks values: it stays canonical.
		o.Snapshot = oms.CanonicalJSON(redactedTree(c, events))
	case c.Previous != nil && c.Previous.Digest() != o.Digest:
		o.Patch = differ.Redact(mergePatch(oms.Delta(c.Previous, c.Current)))
	}
	return nil
}

// redactedTree is c.Current redacted. On first sight the differ redacted
// it already, for the oms.project.discovered event's "add" of the whole
// document: a keyframe takes that rather than redacting every member of
// the snapshot a second time.
func redactedTree(c poller.Change, events []event.Event) map[string]any {
	if c.Previous != nil {
		return differ.Redact(c.Current.Tree())
	}
	for _, e := range events {
		if e.Type != event.TypeProjectDiscovered || len(e.Data.Changes) != 1 {
			continue
		}
		if ch := e.Data.Changes[0]; ch.Op == "add" && ch.Path == "" {
			if tree, ok := ch.Value.(map[string]any); ok {
				return tree
			}
		}
	}
	return differ.Redact(c.Current.Tree())
}

// encode returns the stored record: its JSON, or 'z' and the JSON
// DEFLATE-compressed, with a compressor from writers.
func (o *observation) encode(writers *sync.Pool) ([]byte, error) {
	plain := o.appendJSON(make([]byte, 0, 512+len(o.Snapshot)))
	if len(plain) < compressAbove {
		return plain, nil
	}
	var buf bytes.Buffer
	buf.WriteByte('z')
	w, ok := writers.Get().(*flate.Writer)
	if !ok {
		w, _ = flate.NewWriter(nil, flate.BestSpeed) // a valid level cannot fail
	}
	defer writers.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("observation of %s: %w", o.Project, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("observation of %s: %w", o.Project, err)
	}
	return buf.Bytes(), nil
}

func decodeObservation(data []byte) (observation, error) {
	var o observation
	var r io.Reader = bytes.NewReader(data)
	if len(data) > 0 && data[0] == 'z' {
		r = flate.NewReader(bytes.NewReader(data[1:]))
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
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
