package omssim

import (
	"hash/fnv"
	"net/http"
	"strconv"
	"time"
)

// StateChange is a change of a generated project's state: what makes
// omswatch emit an event (a status, a step's status, progress or error, an
// alarm starting or ending, the worker expiring), not telemetry. Load runs
// time detection against it.
type StateChange struct {
	Project string `json:"project"`
	// Tick is the first tick of the new state, Time when the server began
	// answering it (wall clock).
	Tick int64     `json:"tick"`
	Time time.Time `json:"time"`
}

// stateChanges lists the changes at ticks (from, to], per tick in
// project order. Each project's state is a pure function of the tick, so
// this is exact after the fact.
func (g *Generator) stateChanges(from, to int64) []StateChange {
	var out []StateChange
	prev := g.states(from, nil)
	cur := make([]projectState, 0, len(prev))
	for t := from + 1; t <= to; t++ {
		cur = g.states(t, cur[:0])
		for i := range cur {
			if cur[i].changedFrom(prev[i]) {
				out = append(out, StateChange{Project: g.projects[i].id, Tick: t})
			}
		}
		prev, cur = cur, prev
	}
	return out
}

// projectState is what of a project's state the differ reports on: a hash
// of its status, steps and errors, and its alarms.
type projectState struct {
	fp       uint64
	alarming bool
	counts   [3]int // the total and the two rules' recent triggers
}

// changedFrom is whether the differ finds an event between p and s: the
// state moved, an alarm started or ended, or a trigger count rose (a fall
// while Alarming stays is no event).
func (s projectState) changedFrom(p projectState) bool {
	if s.fp != p.fp || s.alarming != p.alarming {
		return true
	}
	for i, n := range s.counts {
		if n > p.counts[i] {
			return true
		}
	}
	return false
}

// states appends each project's state at global tick t, built from the
// storyboard without rendering the project (a load run asks this for
// 100,000 projects a tick).
func (g *Generator) states(t int64, dst []projectState) []projectState {
	h := fnv.New64a()
	var buf [8]byte
	put := func(v int64) {
		for i := range buf {
			buf[i] = byte(v >> (8 * i))
		}
		_, _ = h.Write(buf[:])
	}
	for _, sp := range g.projects {
		h.Reset()
		sb := &sp.board
		pm := sb.at(t, sp.offset)
		_, _ = h.Write([]byte(sb.projectStatus(pm.raw, pm.l)))
		put(boolInt(pm.raw >= 0)) // GmtStart
		put(boolInt(sb.finishAt >= 0 && pm.l >= sb.finishAt))
		put(boolInt(sb.expireAt >= 0 && pm.l >= sb.expireAt))
		suspended := sb.suspended(pm.l)
		for i := range sb.steps {
			st := stepState{status: stInit}
			if pm.raw >= 0 {
				st = sb.steps[i].state(pm.l, suspended)
			}
			if st.status == stMonitoring && sb.resuming(pm.l) {
				st = stepState{status: stRunning, progress: 99}
			}
			_, _ = h.Write([]byte(st.status))
			put(int64(st.progress))
			if st.fail != nil {
				_, _ = h.Write([]byte(st.fail.err.code))
				put(st.fail.from)
			}
		}
		ps := projectState{fp: h.Sum64()}
		a := g.alarms(sp, t)
		ps.alarming, ps.counts[0] = a.Alarming, a.RecentlyTriggerCount
		failRule, delayRule := alarmRules(sp.typ)
		ps.counts[1], ps.counts[2] = a.RuleToRecentlyTriggerCount[failRule], a.RuleToRecentlyTriggerCount[delayRule]
		dst = append(dst, ps)
	}
	return dst
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// writeChanges answers GET /_sim/changes?from=TICK&to=TICK: the state
// changes of a generated fleet in (from, to] (to defaults to now), with the
// wall time each began.
func (s *Server) writeChanges(x *exchange) {
	g, ok := s.scenario.(*Generator)
	if !ok {
		x.gateway(gwErr(http.StatusNotFound, "NotFound", "State changes are known for a generated fleet only (--projects)."))
		return
	}
	now := s.clock.moment().Tick
	q := x.r.URL.Query()
	tick := func(name string, def int64) (int64, bool) {
		v := q.Get(name)
		if v == "" {
			return def, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > now {
			x.gateway(errInvalidParameter(name, "must be a tick from 0 to the current "+strconv.FormatInt(now, 10)+", got "+strconv.Quote(v)))
			return 0, false
		}
		return n, true
	}
	from, ok := tick("from", 0)
	if !ok {
		return
	}
	to, ok := tick("to", now)
	if !ok {
		return
	}
	changes := g.stateChanges(from, max(from, to))
	for i := range changes {
		changes[i].Time = s.clock.wallOf(changes[i].Tick)
	}
	body, err := marshal(changes)
	if err != nil {
		x.internal(err)
		return
	}
	x.write(http.StatusOK, body, nil)
}
