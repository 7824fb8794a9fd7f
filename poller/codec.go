package poller

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// A stored value is: the magic "OMW1", a uvarint length, the record's
// metadata as JSON, then the canonical snapshot JSON compressed with
// DEFLATE. Snapshots of big projects exceed a megabyte (NATS's default
// largest message); their JSON compresses about tenfold. The digest in the
// metadata is checked against the snapshot read back, so a damaged value
// is an error rather than a wrong "previous" state.
const valueMagic = "OMW1"

// recordMeta is the metadata of a stored record.
type recordMeta struct {
	Digest      string    `json:"digest,omitempty"`
	ListDigest  string    `json:"list_digest,omitempty"`
	DescribedAt time.Time `json:"described_at,omitzero"`
	ObservedAt  time.Time `json:"observed_at,omitzero"`
	Removed     bool      `json:"removed,omitempty"`
	Status      string    `json:"status,omitempty"`
}

// writers reuses DEFLATE compressors, each of which allocates about a
// megabyte of tables.
var writers = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // a valid level cannot fail
	return w
}}

// encodeRecord builds the stored value of rec.
func encodeRecord(rec Record) ([]byte, error) {
	m := recordMeta{ListDigest: rec.ListDigest, DescribedAt: rec.DescribedAt, ObservedAt: rec.ObservedAt,
		Removed: rec.Removed, Status: rec.Status}
	var body []byte
	if rec.Snapshot != nil {
		m.Digest = rec.Snapshot.Digest()
		body = rec.Snapshot.JSON()
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(valueMagic) + binary.MaxVarintLen64 + len(meta) + len(body)/6)
	buf.WriteString(valueMagic)
	buf.Write(binary.AppendUvarint(nil, uint64(len(meta))))
	buf.Write(meta)
	if body != nil {
		w := writers.Get().(*flate.Writer)
		defer writers.Put(w)
		w.Reset(&buf)
		if _, err := w.Write(body); err != nil {
			return nil, fmt.Errorf("compress snapshot: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("compress snapshot: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// decodeRecord reads a stored value back.
func decodeRecord(v []byte) (Record, error) {
	if !bytes.HasPrefix(v, []byte(valueMagic)) {
		return Record{}, errors.New("stored value is not an omswatch record (bad magic)")
	}
	v = v[len(valueMagic):]
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return Record{}, errors.New("stored value is truncated (metadata)")
	}
	var m recordMeta
	if err := json.Unmarshal(v[k:k+int(n)], &m); err != nil {
		return Record{}, fmt.Errorf("stored metadata: %w", err)
	}
	rec := Record{ListDigest: m.ListDigest, DescribedAt: m.DescribedAt, ObservedAt: m.ObservedAt,
		Removed: m.Removed, Status: m.Status}
	rest := v[k+int(n):]
	if len(rest) == 0 {
		if m.Digest != "" {
			return Record{}, errors.New("stored value has a digest but no snapshot")
		}
		return rec, nil
	}
	r := flate.NewReader(bytes.NewReader(rest))
	defer r.Close()
	body, err := io.ReadAll(r)
	if err != nil {
		return Record{}, fmt.Errorf("decompress stored snapshot: %w", err)
	}
	s, err := oms.ParseSnapshot(body)
	if err != nil {
		return Record{}, fmt.Errorf("stored snapshot: %w", err)
	}
	if s.Digest() != m.Digest {
		return Record{}, fmt.Errorf("stored snapshot digest %.12s does not match its metadata %.12s", s.Digest(), m.Digest)
	}
	rec.Snapshot = s
	return rec, nil
}
