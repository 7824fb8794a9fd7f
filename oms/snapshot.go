package oms

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
)

// Snapshot is the canonical state of one project: the Data of a
// DescribeProject response (or one entry of ListProjects) in one spelling,
// with white space, "null" noise and array order taken out, so that equal
// states have equal bytes. A Snapshot is immutable and safe for concurrent
// use.
type Snapshot struct {
	tree   map[string]any
	json   []byte
	digest string
	// index locates the members of the large objects in json, so that
	// Delta can skip equal subtrees by comparing bytes.
	index spanIndex
	// reuse is what ParseSnapshotReusing remembers of the response for the
	// next parse; nil for snapshots made otherwise.
	reuse *memo
	// view is the snapshot's Project once built (nil: built on each call).
	view *lazyProject
}

// Canonicalize builds the canonical snapshot of a project object decoded by
// encoding/json into any (numbers preferably as json.Number), in either
// spelling. data is not modified. The canonical rules:
//
//   - keys in PascalCase, except inside free-form maps (see FreeformKind),
//     which keep their keys; all keys and string values trimmed;
//   - the string "null" is null, and null members and elements are dropped,
//     so a missing field and a null one are the same;
//   - Steps, Labels, TransferMapping databases, their tables and views, and
//     step ErrorDetails become objects keyed by identity (see keyed.go for
//     the key formats); other arrays stay positional;
//   - an identified array that is already an object keeps its keys, so
//     canonicalising a canonical tree changes nothing.
//
// A project object never has envelope members (Success, Data, RequestId,
// HostId) at its top level; one that has them is refused, which keeps a
// snapshot's JSON from ever being read back as an envelope.
func Canonicalize(data any) (*Snapshot, error) {
	return canonicalize(data, walker{})
}

// canonicalize is Canonicalize with the walker to use.
func canonicalize(data any, w walker) (*Snapshot, error) {
	m, ok := data.(map[string]any)
	if !ok {
		return nil, &MalformedError{Reason: "the project data is " + jsonKind(data) + ", not an object"}
	}
	v, err := w.canonObject(m, placeProject, NotFreeform)
	if err != nil {
		return nil, fmt.Errorf("canonicalize project data: %w", err)
	}
	tree := v.(map[string]any)
	for k := range tree {
		if isEnvelopeKey(k) {
			return nil, &MalformedError{Reason: fmt.Sprintf(
				"the project data has a top-level %q member, as if an envelope were nested in Data", k)}
		}
	}
	return snapshotOf(tree), nil
}

// snapshotOf makes the snapshot of a tree already canonical: one made of
// the members of canonical trees (WithMembersFrom, WithTelemetryFrom),
// which canonicalising would only copy.
func snapshotOf(tree map[string]any) *Snapshot {
	e := newEncoder(true)
	scratch := jsonScratch.Get().(*[]byte)
	buf := e.append((*scratch)[:0], tree)
	e.release()
	// The snapshot keeps a copy of exactly its size: written into a buffer
	// of a guessed size, a list entry's JSON was allocated two or three
	// times over as the buffer grew, and a describe's kept the whole
	// answer's size.
	json := slices.Clone(buf)
	if cap(buf) <= maxPooledJSON {
		*scratch = buf
		jsonScratch.Put(scratch)
	}
	sum := sha256.Sum256(json)
	return &Snapshot{tree: tree, json: json, digest: hex.EncodeToString(sum[:]), index: e.index, view: &lazyProject{}}
}

// jsonScratch holds the buffers snapshots are written into before they
// are copied out at their size.
var jsonScratch = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledJSON bounds the buffer a snapshot's scratch keeps: one
// 5,000-table answer should not stay in memory for the next of ten.
const maxPooledJSON = 1 << 20

// ParseSnapshot reads a DescribeProject response, a full envelope or a bare
// Data object, in either spelling, and canonicalises its Data. A document
// with a Success, Data, RequestId or HostId member is an envelope. It
// returns the *APIError of a Success:false (or gateway error) envelope, and
// a *MalformedError wrapping ErrNoData for a successful envelope without
// Data, or a *MalformedError for anything not a JSON object.
func ParseSnapshot(body []byte) (*Snapshot, error) {
	v, err := decodeJSON(0, body)
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, &MalformedError{Reason: "the JSON value is " + jsonKind(v) + ", not an object",
			Excerpt: excerpt(body)}
	}
	// The decoded tree is ours alone: canonicalise it in place.
	w := walker{inPlace: true}
	if !looksLikeEnvelope(root) {
		return canonicalize(root, w)
	}
	env, err := envelopeOf(200, root)
	if err != nil {
		return nil, err
	}
	return env.snapshot(w)
}

// Snapshot canonicalises the envelope's Data as one project. A successful
// DescribeProject response without Data is a failed poll: the error is a
// *MalformedError wrapping ErrNoData.
// e.Data is not modified.
func (e *Envelope) Snapshot() (*Snapshot, error) {
	return e.snapshot(walker{})
}

func (e *Envelope) snapshot(w walker) (*Snapshot, error) {
	if e.Data == nil {
		return nil, &MalformedError{Reason: "Success is true but the response has no Data", Err: ErrNoData}
	}
	return canonicalize(e.Data, w)
}

func looksLikeEnvelope(root map[string]any) bool {
	for k := range topMembers(root) {
		if isEnvelopeKey(k) {
			return true
		}
	}
	return false
}

// JSON returns the canonical JSON: sorted keys, compact, no HTML escaping.
// The slice is shared: do not modify it.
func (s *Snapshot) JSON() []byte { return s.json }

// Digest returns the hex SHA-256 of the canonical JSON: equal for equal
// states whatever the key order, spelling, white space, "null" noise or
// order of identified arrays.
func (s *Snapshot) Digest() string { return s.digest }

// Tree returns the canonical tree: map[string]any, []any, string,
// json.Number and bool. It is shared with the snapshot, and its subtrees
// with other snapshots (ParseSnapshotReusing reuses them), so it must never
// be modified; use Project for a value of your own.
func (s *Snapshot) Tree() map[string]any { return s.tree }

// ID returns the project id (Data.Id), "" if the data has none.
func (s *Snapshot) ID() string { return scalarText(s.tree["Id"]) }

// Member returns the canonical value of the project's top-level member key
// (PascalCase, e.g. "Steps"), nil when it has none. Like Tree, it is shared:
// do not modify it.
func (s *Snapshot) Member(key string) any { return s.tree[key] }

// StandingFor returns a copy of s that reports digest as its Digest: a
// snapshot rebuilt from a redacted record (the observation log keeps no
// credentials) stands for the original, whose digest made the ids of its
// events, so a replay of it gives those same ids.
func (s *Snapshot) StandingFor(digest string) *Snapshot {
	c := *s
	c.digest = digest
	return &c
}
