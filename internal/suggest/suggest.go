// Package suggest finds the word a typo was meant to be, for "did you
// mean" in messages about configuration keys, enum values, event types,
// expression names and silence matchers.
package suggest

import "strings"

// Closest returns the option closest to s when s looks like a typo of it
// (a letter missing, extra, wrong or swapped, or a different case), or "".
// Short words get less slack so "log" does not suggest "oms".
func Closest(s string, options []string) string {
	best, bestDist := "", -1
	limit := 1
	switch {
	case len(s) > 8:
		limit = 3
	case len(s) > 3:
		limit = 2
	}
	for _, o := range options {
		d := Distance(strings.ToLower(s), strings.ToLower(o))
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = o, d
		}
	}
	return best
}

// Distance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of two neighbouring letters each cost
// one.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 30 // nothing that long is a typo of a key
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
