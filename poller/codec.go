package poller

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"

	"github.com/omswatch/omswatch/oms"
)

// A stored value is: the magic "OMW1", a uvarint length, the record's
// metadata as JSON, then the canonical snapshot JSON compressed with
// DEFLATE. Snapshots of big projects exceed a megabyte (NATS's default
// largest message); their JSON compresses about tenfold. The digest in the
// metadata is checked against the snapshot read back, so a damaged value
// is an error rather than a wrong "previous" state.
const valueMagic = "OMW1"

// recordMeta is the metadata of a stored record. Every field but digest
// may be missing: records written before a field existed read as its zero
// value, and a reader that does not know a field ignores it.
type recordMeta struct {
	Digest        string    `json:"digest,omitempty"`
	ListDigest    string    `json:"list_digest,omitempty"`
	ListFull      string    `json:"list_full,omitempty"`
	DescribedAt   time.Time `json:"described_at,omitzero"`
	ObservedAt    time.Time `json:"observed_at,omitzero"`
	Removed       bool      `json:"removed,omitempty"`
	Status        string    `json:"status,omitempty"`
	Failures      int       `json:"failures,omitempty"`
	FailingSince  time.Time `json:"failing_since,omitzero"`
	FailingSent   bool      `json:"failing_sent,omitempty"`
	LastErrorCode string    `json:"last_error_code,omitempty"`
	LastError     string    `json:"last_error,omitempty"`
}

// metaOf is rec's metadata, but for the digest of its snapshot.
func metaOf(rec Record) recordMeta {
	return recordMeta{ListDigest: rec.ListDigest, ListFull: rec.ListFull, DescribedAt: rec.DescribedAt,
		ObservedAt: rec.ObservedAt, Removed: rec.Removed, Status: rec.Status, Failures: rec.Failures,
		FailingSince: rec.FailingSince, FailingSent: rec.FailingSent, LastErrorCode: rec.LastErrorCode, LastError: rec.LastError}
}

// record is the Record of m, without its snapshot.
func (m recordMeta) record() Record {
	return Record{ListDigest: m.ListDigest, ListFull: m.ListFull, DescribedAt: m.DescribedAt, ObservedAt: m.ObservedAt,
		Removed: m.Removed, Status: m.Status, Failures: m.Failures, FailingSince: m.FailingSince,
		FailingSent: m.FailingSent, LastErrorCode: m.LastErrorCode, LastError: m.LastError}
}

// twoTierOf is a record holding the two-tier state of rec alone (what
// PutMeta writes when there is no record yet).
func twoTierOf(rec Record) Record { return recordMeta{}.withTwoTier(rec).record() }

// withTwoTier is m with the two-tier state of rec (what PutMeta writes).
func (m recordMeta) withTwoTier(rec Record) recordMeta {
	m.ListDigest, m.ListFull, m.DescribedAt = rec.ListDigest, rec.ListFull, rec.DescribedAt
	m.Failures, m.FailingSince, m.FailingSent = rec.Failures, rec.FailingSince, rec.FailingSent
	m.LastErrorCode, m.LastError = rec.LastErrorCode, rec.LastError
	return m
}

// writers reuses DEFLATE compressors, each of which allocates about a
// megabyte of tables.
var writers = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // a valid level cannot fail
	return w
}}

// readers reuses DEFLATE decompressors (about 40 KB each).
var readers sync.Pool

// inflate decompresses a stored snapshot into a slice of its own (the
// snapshot read back keeps it).
func inflate(compressed []byte) ([]byte, error) {
	src := bytes.NewReader(compressed)
	r, _ := readers.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReader(src)
	} else if err := r.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, err
	}
	defer readers.Put(r)
	out := buffers.Get().(*bytes.Buffer)
	defer putBuffer(out)
	out.Reset()
	out.Grow(6 * len(compressed)) // canonical JSON compresses about sixfold
	if _, err := out.ReadFrom(r); err != nil {
		return nil, err
	}
	return bytes.Clone(out.Bytes()), nil
}

// buffers hold the scratch that values are compressed and decompressed
// into: a value written into a buffer of a guessed size was allocated
// again each time the guess was short, 5% of what the service allocated at
// 100,000 projects; the value is copied out at its size.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBuffer returns b to buffers unless a big snapshot made it big.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		buffers.Put(b)
	}
}

// encodeRecord builds the stored value of rec.
func encodeRecord(rec Record) ([]byte, error) {
	m := metaOf(rec)
	var body []byte
	if rec.Snapshot != nil {
		m.Digest = rec.Snapshot.Digest()
		body = rec.Snapshot.JSON()
	}
	buf := buffers.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	buf.Reset()
	buf.Grow(len(valueMagic) + binary.MaxVarintLen64 + 256 + len(body)/6)
	if err := writeHeader(buf, m); err != nil {
		return nil, err
	}
	if body != nil {
		w := writers.Get().(*flate.Writer)
		defer writers.Put(w)
		w.Reset(buf)
		if _, err := w.Write(body); err != nil {
			return nil, fmt.Errorf("compress snapshot: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("compress snapshot: %w", err)
		}
	}
	return bytes.Clone(buf.Bytes()), nil
}

// writeHeader writes the magic and the length-prefixed metadata m.
func writeHeader(buf *bytes.Buffer, m recordMeta) error {
	meta, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	buf.WriteString(valueMagic)
	buf.Write(binary.AppendUvarint(nil, uint64(len(meta))))
	buf.Write(meta)
	return nil
}

// readHeader splits a stored value into its metadata and the compressed
// snapshot after it (empty when there is none).
func readHeader(v []byte) (recordMeta, []byte, error) {
	if !bytes.HasPrefix(v, []byte(valueMagic)) {
		return recordMeta{}, nil, errors.New("stored value is not an omswatch record (bad magic)")
	}
	v = v[len(valueMagic):]
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return recordMeta{}, nil, errors.New("stored value is truncated (metadata)")
	}
	var m recordMeta
	if err := json.Unmarshal(v[k:k+int(n)], &m); err != nil {
		return recordMeta{}, nil, fmt.Errorf("stored metadata: %w", err)
	}
	return m, v[k+int(n):], nil
}

// withMeta is the stored value v with the two-tier state of rec in its
// metadata and its compressed snapshot copied as it is: PutMeta's value,
// which costs a copy of the bytes, not a compression.
func withMeta(v []byte, rec Record) ([]byte, error) {
	m, body, err := readHeader(v)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(valueMagic) + binary.MaxVarintLen64 + 256 + len(body))
	if err := writeHeader(&buf, m.withTwoTier(rec)); err != nil {
		return nil, err
	}
	buf.Write(body)
	return buf.Bytes(), nil
}

// decodeRecord reads a stored value back.
func decodeRecord(v []byte) (Record, error) {
	m, rest, err := readHeader(v)
	if err != nil {
		return Record{}, err
	}
	rec := m.record()
	if len(rest) == 0 {
		if m.Digest != "" {
			return Record{}, errors.New("stored value has a digest but no snapshot")
		}
		return rec, nil
	}
	body, err := inflate(rest)
	if err != nil {
		return Record{}, fmt.Errorf("decompress stored snapshot: %w", err)
	}
	s, err := oms.ParseStored(body, m.Digest)
	if err != nil {
		return Record{}, fmt.Errorf("stored snapshot: %w", err)
	}
	rec.Snapshot = s
	return rec, nil
}
