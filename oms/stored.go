package oms

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// indexFrom is the size of canonical JSON from which ParseStored indexes
// a snapshot for Delta: below it, Delta's comparison of the trees costs
// less than the encoding that makes an index.
const indexFrom = 64 << 10

// ParseStored reads back the canonical JSON of a snapshot (Snapshot.JSON,
// as a store keeps it) whose Digest was digest. The bytes are checked
// against digest, then decoded as they are: canonical JSON decodes to its
// canonical tree, so the canonicalisation ParseSnapshot does for OMS's
// answers is not done again (it was about half of reading a stored
// snapshot back). The snapshot shares body: do not modify it.
func ParseStored(body []byte, digest string) (*Snapshot, error) {
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != digest {
		return nil, fmt.Errorf("the snapshot's digest %.12s does not match the stored one %.12s", got, digest)
	}
	v, err := decodeJSON(0, body)
	if err != nil {
		return nil, err
	}
	tree, ok := v.(map[string]any)
	if !ok {
		return nil, &MalformedError{Reason: "the stored snapshot is " + jsonKind(v) + ", not an object", Excerpt: excerpt(body)}
	}
	s := &Snapshot{tree: tree, json: body, digest: digest, view: &lazyProject{}}
	if len(body) < indexFrom {
		return s, nil
	}
	e := newEncoder(true)
	buf := e.append(make([]byte, 0, len(body)), tree)
	e.release()
	if !bytes.Equal(buf, body) {
		// Not canonical after all (written by hand?): read it as an answer.
		return ParseSnapshot(body)
	}
	s.index = e.index
	return s, nil
}
