package poller

import (
	"fmt"
	"testing"
	"time"
)

// Every project is re-described between 2/5 of a window and a window after
// its last describe, wherever that fell, and from the second refresh on
// exactly once per window, on its own phase, even when each describe comes
// a little after its time (the next cycle).
func TestRefreshStaysWithinTheWindowAndFindsItsPhase(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []time.Duration{10 * time.Second, time.Hour, 25 * time.Hour} {
		for i := range 2000 {
			id := fmt.Sprintf("np_%d", i)
			d := t0.Add(time.Duration(i) * 7919 * time.Millisecond)
			late := time.Duration(i%7) * r / 70 // up to a tenth of the window after its time
			first := refreshAt(id, d, r)
			if gap := first.Sub(d); gap < minRefresh(r) || gap > r {
				t.Fatalf("%s, window %s: re-described %s after its describe, want between %s and %s", id, r, gap, minRefresh(r), r)
			}
			second := refreshAt(id, first.Add(late), r)
			if gap := second.Sub(first.Add(late)); gap < minRefresh(r) || gap > r {
				t.Fatalf("%s, window %s: re-described %s after its describe, want between %s and %s", id, r, gap, minRefresh(r), r)
			}
			third := refreshAt(id, second.Add(late), r)
			if third.Sub(second) != r {
				t.Fatalf("%s, window %s: %s between the second and third refresh, want the window", id, r, third.Sub(second))
			}
			if again := refreshAt(id, d, r); !again.Equal(first) {
				t.Fatalf("%s: refreshAt is not a function of the describe time alone", id)
			}
		}
	}
	if !refreshAt("np_x", time.Time{}, time.Hour).IsZero() {
		t.Error("a project never described has no refresh time: it is due")
	}
}

// A fleet described all at once (first sight, a restart after a long
// stop) is not re-described all at once: its refreshes spread over the
// window, at most twice the even share in any cycle while the phases are
// found, and then the even share.
func TestRefreshSpreadsAFleetDescribedAtOnce(t *testing.T) {
	const n, cycle, r = 1000, 30 * time.Second, time.Hour
	perWindow := int(r / cycle)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	due := map[int]int{} // cycle -> refreshes
	for i := range n {
		id := fmt.Sprintf("np_%04d", i)
		at := t0
		for range 3 {
			c := int((refreshAt(id, at, r).Sub(t0) + cycle - 1) / cycle) // the first cycle at or after it
			due[c]++
			at = t0.Add(time.Duration(c) * cycle) // described then
		}
	}
	busiest, firstHalf, total := [3]int{}, [3]int{}, [3]int{}
	for c, k := range due {
		w := (c - 1) / perWindow
		if w >= 3 {
			continue
		}
		busiest[w] = max(busiest[w], k)
		total[w] += k
		if (c-1)%perWindow < perWindow/2 {
			firstHalf[w] += k
		}
	}
	even := n / perWindow
	t.Logf("refreshes of %d projects described at once, per window: %v, of which in its first half %v; most in one %s cycle %v (even share %.1f)",
		n, total, firstHalf, cycle, busiest, float64(n)/float64(perWindow))
	if busiest[0] > 4*even || busiest[1] > 3*even || busiest[2] > 3*even {
		t.Errorf("most refreshes in one cycle per window %v: a burst (even share %d)", busiest, even)
	}
	for w := 1; w < 3; w++ {
		if total[w] != n || firstHalf[w] < n*2/5 || firstHalf[w] > n*3/5 {
			t.Errorf("window %d: %d refreshes, %d in its first half: want each project once, spread over the window", w+1, total[w], firstHalf[w])
		}
	}
}
