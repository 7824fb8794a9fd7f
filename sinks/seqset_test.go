package sinks

import "testing"

// The set answers for the window of sequences ending at the highest one
// added: a sequence added and still in it is known, one that left it (or
// was never added, or is newer than any added) is not, whatever order the
// acknowledgements came in.
func TestSeqSetRemembersTheWindow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		add      []uint64
		has, not []uint64
	}{
		{name: "empty", not: []uint64{0, 1, 64, 1 << 20}},
		{name: "in order", add: []uint64{1, 2, 3}, has: []uint64{1, 2, 3}, not: []uint64{0, 4, 100}},
		{name: "out of order within the window", add: []uint64{10, 5, 7, 200}, has: []uint64{5, 7, 10, 200},
			not: []uint64{6, 8, 199, 201}},
		{name: "a jump clears the slots it passes", add: []uint64{3, 3 + 256, 3 + 300}, has: []uint64{3 + 256, 3 + 300},
			not: []uint64{3, 3 + 299}},
		{name: "older than the window is forgotten", add: []uint64{1, 2, 255, 256, 257}, has: []uint64{2, 255, 256, 257},
			not: []uint64{1}},
		{name: "an add older than the window is ignored", add: []uint64{1000, 10}, has: []uint64{1000}, not: []uint64{10, 10 + 256}},
		{name: "a jump past the whole window", add: []uint64{5, 6, 5000}, has: []uint64{5000}, not: []uint64{5, 6, 4999}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSeqSet(256)
			for _, q := range tc.add {
				s.add(q)
			}
			for _, q := range tc.has {
				if !s.has(q) {
					t.Errorf("has(%d) = false after adding %v", q, tc.add)
				}
			}
			for _, q := range tc.not {
				if s.has(q) {
					t.Errorf("has(%d) = true after adding %v", q, tc.add)
				}
			}
		})
	}
}

// A long run: after each add, every sequence of the window is known
// exactly when it was added.
func TestSeqSetAgreesWithAMapOverALongRun(t *testing.T) {
	s := newSeqSet(128)
	added := map[uint64]bool{}
	var hi uint64
	for i := uint64(1); i < 5000; i++ {
		q := i*3 - (i%7)*2 // mostly rising, some steps back
		if q > hi || hi-q < 128 {
			s.add(q)
			added[q] = true
			hi = max(hi, q)
		}
		if i%97 != 0 {
			continue
		}
		for c := hi - 127; c <= hi+1; c++ {
			if got := s.has(c); got != added[c] {
				t.Fatalf("after %d adds (highest %d): has(%d) = %v, want %v", i, hi, c, got, added[c])
			}
		}
	}
}
