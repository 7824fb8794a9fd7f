package sinks

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// GroupOptions say how the deliveries of a grouping target (chat targets,
// and every target with a rate limit) become notifications: the rules
// section's group_by, group_wait and rate_limits.
type GroupOptions struct {
	// By lists the event attributes a group shares (GroupByKeys; default
	// project).
	By []string
	// Wait is how long a group collects deliveries after its first.
	Wait time.Duration
	// RateLimits bound the notifications of targets, by name.
	RateLimits map[string]RateLimit
}

// Validate reports group_by attributes that are not GroupByKeys.
func (o GroupOptions) Validate() error {
	var errs []error
	for i, k := range o.By {
		if !slices.Contains(GroupByKeys(), k) {
			errs = append(errs, fmt.Errorf("group_by[%d]: %q is not a group_by attribute; want one of %s", i, k, strings.Join(GroupByKeys(), ", ")))
		}
	}
	return errors.Join(errs...)
}

// GroupByKeys are the attributes notifications can be grouped by.
func GroupByKeys() []string {
	return []string{"project", "source", "type", "phase", "step", "severity", "rule"}
}

// RateLimit allows Count notifications per Per to a target, with bursts of
// Burst (at least 1).
type RateLimit struct {
	Count float64
	Per   time.Duration
	Burst int
}

// RouteFirstSight is the route of the first sightings a chat target
// announces in one summary per poll cycle (discovery.announce: summary):
// they group by target and source whatever group_by says, and the target
// renders them as a summary.
const RouteFirstSight = "(first sight)"

// FirstSightWait is the least a first-sight summary waits for the rest of
// its cycle, group_wait being longer or not: with group_wait 0s (alerts at
// once) a first start would otherwise announce each project on its own.
const FirstSightWait = 10 * time.Second

// GroupLabel is one group_by attribute of a notification and its value.
type GroupLabel struct {
	Name, Value string
}

// Grouping is the Grouper of grouping targets: deliveries of one group
// (target, route and the group_by values) arriving within group_wait of the
// first become one Notification, and each target's rate limit spaces its
// notifications out, a group held back by it taking in what arrives
// meanwhile. It keeps no clock of its own: callers pass the time, which is
// the recording's in replay. It is safe for concurrent use.
type Grouping struct {
	mu      sync.Mutex
	groupBy []string
	wait    time.Duration
	buckets map[string]*bucket
	groups  map[string]*group
	seq     int64
	dropped map[string]int
}

// farFuture is later than any notification is due.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// maxWaiting bounds the groups one target may have waiting; beyond it the
// oldest is dropped and counted in the next notification's Dropped.
const maxWaiting = 1000

type group struct {
	n   Notification
	key string
	due time.Time
	seq int64
}

// NewGrouping builds a grouping with empty groups and full rate-limit
// buckets.
func NewGrouping(o GroupOptions) *Grouping {
	d := &Grouping{groupBy: o.By, wait: o.Wait, buckets: map[string]*bucket{},
		groups: map[string]*group{}, dropped: map[string]int{}}
	if len(d.groupBy) == 0 {
		d.groupBy = []string{"project"}
	}
	for target, rl := range o.RateLimits {
		d.buckets[target] = newBucket(rl)
	}
	return d
}

// Add files deliveries made at now into their groups.
func (d *Grouping) Add(now time.Time, ds []Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, de := range ds {
		by, wait := d.groupBy, d.wait
		if de.Route == RouteFirstSight {
			by = []string{"source"} // one summary per cycle, whatever group_by says
			wait = max(wait, FirstSightWait)
		}
		labels := groupLabels(by, &de)
		key := groupKey(de.Target, de.RouteIndex, labels)
		g := d.groups[key]
		if g == nil {
			d.seq++
			g = &group{due: now.Add(wait), seq: d.seq, key: key,
				n: Notification{Target: de.Target, Route: de.Route, Group: labels, Opened: now, Due: now.Add(wait)}}
			d.groups[key] = g
			d.bound(de.Target)
		}
		g.n.Events = append(g.n.Events, de.Event)
	}
}

// bound drops a target's oldest waiting group when it has too many.
func (d *Grouping) bound(target string) {
	var oldest *group
	n := 0
	for _, g := range d.groups {
		if g.n.Target != target {
			continue
		}
		n++
		if oldest == nil || g.seq < oldest.seq {
			oldest = g
		}
	}
	if n > maxWaiting {
		delete(d.groups, oldest.key)
		d.dropped[target]++
	}
}

// Due returns the notifications to send by now, in the order they are due,
// each with the time it became due, and forgets them.
func (d *Grouping) Due(now time.Time) []Notification {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.release(now)
}

// Flush returns every waiting notification, at the time each would be sent
// had the clock run on (the end of a replay, a shutdown).
func (d *Grouping) Flush() []Notification {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.release(farFuture)
}

// Next returns when the next notification is due, and false when none
// waits: the time a run loop sleeps until.
func (d *Grouping) Next() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	plan := d.plan()
	if len(plan) == 0 {
		return time.Time{}, false
	}
	return plan[0].at, true
}

// Len returns how many groups wait.
func (d *Grouping) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.groups)
}

type planned struct {
	g  *group
	at time.Time
}

// plan orders the waiting groups by when they can be sent: their due time,
// pushed back by their target's rate limit, first come first served per
// target. It changes no bucket.
func (d *Grouping) plan() []planned {
	gs := make([]*group, 0, len(d.groups))
	for _, g := range d.groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *group) int { return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.seq, b.seq)) })
	sim := map[string]bucket{}
	out := make([]planned, 0, len(gs))
	for _, g := range gs {
		at := g.due
		if b, ok := d.buckets[g.n.Target]; ok {
			s, seen := sim[g.n.Target]
			if !seen {
				s = *b
			}
			at = s.take(g.due)
			sim[g.n.Target] = s
		}
		out = append(out, planned{g: g, at: at})
	}
	slices.SortStableFunc(out, func(a, b planned) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.g.seq, b.g.seq)) })
	return out
}

func (d *Grouping) release(now time.Time) []Notification {
	var out []Notification
	for _, p := range d.plan() {
		if p.at.After(now) {
			break
		}
		if b, ok := d.buckets[p.g.n.Target]; ok {
			b.take(p.g.due)
		}
		n := p.g.n
		n.Time = p.at
		n.Dropped = d.dropped[n.Target]
		delete(d.dropped, n.Target)
		delete(d.groups, p.g.key)
		out = append(out, n)
	}
	return out
}

// groupLabels reads the group_by attributes of a delivery.
func groupLabels(by []string, de *Delivery) []GroupLabel {
	e := &de.Event
	out := make([]GroupLabel, 0, len(by))
	for _, name := range by {
		var v string
		switch name {
		case "project":
			v = e.Subject
		case "source":
			v = e.Source
		case "type":
			v = e.Type
		case "severity":
			v = string(e.Severity)
		case "phase", "step", "rule":
			v, _ = e.Data.Fields[name].(string)
		}
		out = append(out, GroupLabel{Name: name, Value: v})
	}
	return out
}

func groupKey(target string, route int, labels []GroupLabel) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d", target, route)
	for _, l := range labels {
		b.WriteString("|" + l.Name + "=" + l.Value)
	}
	return b.String()
}

// bucket is a token bucket on the caller's clock.
type bucket struct {
	perSec float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rl RateLimit) *bucket {
	burst := float64(max(rl.Burst, 1))
	per := rl.Per
	if per <= 0 {
		per = time.Second
	}
	return &bucket{perSec: rl.Count / per.Seconds(), burst: burst, tokens: burst}
}

// take spends one token at t or as soon after as one is there, and
// returns when that is.
func (b *bucket) take(t time.Time) time.Time {
	if t.Before(b.last) {
		t = b.last
	}
	tokens := b.tokens
	if !b.last.IsZero() {
		tokens = min(b.burst, tokens+t.Sub(b.last).Seconds()*b.perSec)
	}
	if tokens < 1 {
		if b.perSec <= 0 {
			return farFuture // a rate of zero never sends
		}
		wait := time.Duration(math.Ceil((1 - tokens) / b.perSec * float64(time.Second)))
		t = t.Add(wait)
		tokens = 1
	}
	b.tokens, b.last = tokens-1, t
	return t
}
