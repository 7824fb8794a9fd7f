package oms

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// TestParseStoredIsTheSnapshot checks that a snapshot read back from its
// canonical JSON is the snapshot: the same tree, JSON and digest, the same
// index when it is big enough to have one, and the same Delta against any
// other snapshot as the snapshot itself gives.
func TestParseStoredIsTheSnapshot(t *testing.T) {
	for i, pair := range reusePairs(t, 400) {
		old, errOld := ParseSnapshot(pair[0])
		cur, errCur := ParseSnapshot(pair[1])
		if errOld != nil || errCur != nil {
			continue // the pairs include refused answers
		}
		for _, s := range []*Snapshot{old, cur} {
			st, err := ParseStored(s.JSON(), s.Digest())
			if err != nil {
				t.Fatalf("pair %d: %v", i, err)
			}
			if !reflect.DeepEqual(st.Tree(), s.Tree()) || st.Digest() != s.Digest() || !bytes.Equal(st.JSON(), s.JSON()) {
				t.Fatalf("pair %d: the stored snapshot read back differs from the snapshot", i)
			}
			big := len(s.JSON()) >= indexFrom
			if big != (st.index != nil) || (big && !reflect.DeepEqual(st.index, s.index)) {
				t.Errorf("pair %d (%d bytes): index of %d entries, want %d", i, len(s.JSON()), len(st.index), len(s.index))
			}
		}
		stored, err := ParseStored(old.JSON(), old.Digest())
		if err != nil {
			t.Fatal(err)
		}
		a, b := Delta(stored, cur)
		wantA, wantB := Delta(old, cur)
		if !reflect.DeepEqual(a, wantA) || !reflect.DeepEqual(b, wantB) {
			t.Errorf("pair %d: Delta from the stored snapshot differs from Delta from the parsed one", i)
		}
	}
	var sawBig bool
	for _, pair := range reusePairs(t, 400) {
		sawBig = sawBig || len(pair[0]) >= indexFrom
	}
	if !sawBig {
		t.Fatal("no snapshot is big enough to be indexed: the test does not cover the index")
	}
}

func TestParseStoredRefusesDamage(t *testing.T) {
	s := mustParse(t, readFile(t, seedPath))
	for name, tc := range map[string]struct {
		body   []byte
		digest string
		want   string
	}{
		"a changed byte": {bytes.Replace(s.JSON(), []byte(`"Id"`), []byte(`"ID"`), 1), s.Digest(), "does not match"},
		"truncated":      {s.JSON()[:len(s.JSON())/2], s.Digest(), "does not match"},
		"not an object":  {[]byte(`[1]`), digestOf([]byte(`[1]`)), "not an object"},
	} {
		if _, err := ParseStored(tc.body, tc.digest); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, tc.want)
		}
	}
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
