package omssim

// A project's life is a storyboard: when each step starts, fails, resumes,
// monitors and finishes, in "local" ticks counted from the project's start.
// Everything a response shows is a pure function of the storyboard and the
// current tick, so any tick can be served (or recorded) without replaying
// the ticks before it.

// phase is a step's role; the step's name depends on the name family.
type phase int

const (
	phPrecheck phase = iota
	phSchema
	phLogPull
	phFull
	phIndex
	phIncr
	phVerify
	phSwitch
)

// Step statuses (§4.2) and project statuses (§4.1) the generator uses.
const (
	stInit       = "INIT"
	stRunning    = "RUNNING"
	stFailed     = "FAILED"
	stFinished   = "FINISHED"
	stMonitoring = "MONITORING"
	stSuspend    = "SUSPEND"
	stReleasing  = "RELEASING"
	stReleased   = "RELEASED"
)

// stepError is what a failed step shows in its ExtraInfo.
type stepError struct {
	code   string // old-style ErrorCode
	msg    string // ErrorMsg
	param  map[string]string
	detail ErrorDetail
}

// failWindow is a failure of a step: FAILED during [from, to), then, for
// incremental steps, recover ticks of catching up before MONITORING again.
type failWindow struct {
	from, to, recover int64
	err               stepError
}

// stepPlan is one step's schedule in local ticks. end < 0: never finishes;
// monitorAt < 0: never monitors (only incremental-like steps monitor).
type stepPlan struct {
	phase     phase
	start     int64
	end       int64
	monitorAt int64
	fails     []failWindow
}

// storyboard is a whole project's schedule. Ticks < 0 mean "never".
type storyboard struct {
	steps                             []stepPlan
	finishAt, releasingAt, releasedAt int64
	// suspendAt is when the user pauses the project (SUSPEND); resumeAt,
	// when not negative, when they resume it, after which the incremental
	// step catches up for resumeRecover ticks before monitoring again.
	suspendAt, resumeAt, resumeRecover int64
	expireAt                           int64
	// cycleFrom/cycleLen make the story repeat: local ticks past
	// cycleFrom+cycleLen fold back into [cycleFrom, cycleFrom+cycleLen).
	cycleFrom, cycleLen int64
	// length is the ticks one telling of the story takes, and plot the tick
	// where its point starts (after the common prefix, for sync stories):
	// what a recording of it covers.
	length, plot int64
	// delay is the incremental lag curve in seconds before failures are
	// applied; failures freeze the checkpoint on top of it.
	delay []point
}

type point struct{ tick, seconds int64 }

// fold maps a raw local tick onto the storyboard.
func (sb *storyboard) fold(raw int64) int64 {
	if sb.cycleLen > 0 && raw >= sb.cycleFrom+sb.cycleLen {
		return sb.cycleFrom + (raw-sb.cycleFrom)%sb.cycleLen
	}
	return raw
}

// projectMoment is a project at one global tick.
type projectMoment struct {
	sb     *storyboard
	t      int64 // global tick
	raw    int64 // t + the project's offset
	l      int64 // raw folded onto the storyboard
	offset int64
}

func (sb *storyboard) at(t, offset int64) projectMoment {
	return projectMoment{sb: sb, t: t, raw: t + offset, l: sb.fold(t + offset), offset: offset}
}

// tickOf is the global tick at which local tick e of the current telling
// happened: events before the cycle happened once, events inside it happen
// again in every telling.
func (pm projectMoment) tickOf(e int64) int64 {
	if pm.sb.cycleLen == 0 || e < pm.sb.cycleFrom {
		return e - pm.offset
	}
	return pm.t - (pm.l - e)
}

// stepState is a step at a moment.
type stepState struct {
	status   string
	progress int
	fail     *failWindow
}

func (p *stepPlan) state(l int64, suspended bool) stepState {
	if l < p.start {
		return stepState{status: stInit}
	}
	for i := range p.fails {
		f := &p.fails[i]
		if l >= f.from && l < f.to {
			return stepState{status: stFailed, progress: p.progress(f.from), fail: f}
		}
	}
	if p.end >= 0 && l >= p.end {
		return stepState{status: stFinished, progress: 100}
	}
	st := stepState{status: stRunning, progress: p.progress(l)}
	if p.monitorAt >= 0 && l >= p.monitorAt && !p.recovering(l) {
		st = stepState{status: stMonitoring, progress: 100}
	}
	if suspended {
		st.status = stSuspend
	}
	return st
}

// recovering reports whether l is in a catch-up period after a failure.
func (p *stepPlan) recovering(l int64) bool {
	for _, f := range p.fails {
		if l >= f.to && l < f.to+f.recover {
			return true
		}
	}
	return false
}

// progress is 0..99 while running: the share of the step's active (not
// failed) ticks done. Monitoring steps count towards monitorAt.
func (p *stepPlan) progress(l int64) int {
	if p.monitorAt >= 0 {
		if l >= p.monitorAt {
			return 99 // recovering after a failure: nearly caught up
		}
		return int(min(99, (l-p.start)*100/max(1, p.monitorAt-p.start)))
	}
	var failed, failedBefore int64
	for _, f := range p.fails {
		failed += f.to - f.from
		if l >= f.to {
			failedBefore += f.to - f.from
		}
	}
	total := max(1, p.end-p.start-failed)
	return int(min(99, max(0, (l-p.start-failedBefore)*100/total)))
}

// projectStatus is the project's Status at local tick l (raw < 0: not started).
func (sb *storyboard) projectStatus(raw, l int64) string {
	switch {
	case raw < 0:
		return stInit
	case sb.releasedAt >= 0 && l >= sb.releasedAt:
		return stReleased
	case sb.releasingAt >= 0 && l >= sb.releasingAt:
		return stReleasing
	case sb.finishAt >= 0 && l >= sb.finishAt:
		return stFinished
	case sb.suspended(l):
		return stSuspend
	case sb.failed(l):
		return stFailed
	}
	return stRunning
}

func (sb *storyboard) suspended(l int64) bool {
	return sb.suspendAt >= 0 && l >= sb.suspendAt && (sb.resumeAt < 0 || l < sb.resumeAt)
}

// resuming reports whether l is in the catch-up after a resume.
func (sb *storyboard) resuming(l int64) bool {
	return sb.resumeAt >= 0 && l >= sb.resumeAt && l < sb.resumeAt+sb.resumeRecover
}

// failed reports whether any step is FAILED at l.
func (sb *storyboard) failed(l int64) bool {
	for i := range sb.steps {
		for _, f := range sb.steps[i].fails {
			if l >= f.from && l < f.to {
				return true
			}
		}
	}
	return false
}

// step returns the plan of a phase, or nil.
func (sb *storyboard) step(ph phase) *stepPlan {
	for i := range sb.steps {
		if sb.steps[i].phase == ph {
			return &sb.steps[i]
		}
	}
	return nil
}

// lastChange is the latest local tick <= l at which the project status
// changed (0 for the start): what GmtModified shows.
func (sb *storyboard) lastChange(l int64) int64 {
	last := int64(0)
	consider := func(e int64) {
		if e >= 0 && e <= l && e > last {
			last = e
		}
	}
	for _, e := range []int64{sb.finishAt, sb.releasingAt, sb.releasedAt, sb.suspendAt, sb.resumeAt, sb.expireAt} {
		consider(e)
	}
	for _, p := range sb.steps {
		for _, f := range p.fails {
			consider(f.from)
			consider(f.to)
		}
	}
	return last
}

// delayAt is the incremental lag in seconds at l, and false before the
// incremental step starts. A failure freezes the checkpoint, so the lag grows
// one tick's worth of seconds per tick; after resuming it falls back to the
// curve over the recovery ticks. After the step finishes the lag stays as it was.
func (sb *storyboard) delayAt(l, stepSec int64) (int64, bool) {
	incr := sb.step(phIncr)
	if incr == nil || l < incr.start {
		return 0, false
	}
	if incr.end >= 0 && l >= incr.end {
		l = incr.end
	}
	if sb.suspended(l) {
		return curveAt(sb.delay, sb.suspendAt) + (l-sb.suspendAt)*stepSec, true
	}
	if sb.resuming(l) {
		start := curveAt(sb.delay, sb.suspendAt) + (sb.resumeAt-sb.suspendAt)*stepSec
		end := curveAt(sb.delay, sb.resumeAt+sb.resumeRecover)
		return start + (end-start)*(l-sb.resumeAt)/sb.resumeRecover, true
	}
	for _, f := range incr.fails {
		frozen := curveAt(sb.delay, f.from)
		switch {
		case l >= f.from && l < f.to:
			return frozen + (l-f.from)*stepSec, true
		case f.recover > 0 && l >= f.to && l < f.to+f.recover:
			start := frozen + (f.to-f.from)*stepSec
			end := curveAt(sb.delay, f.to+f.recover)
			return start + (end-start)*(l-f.to)/f.recover, true
		}
	}
	return curveAt(sb.delay, l), true
}

// curveAt interpolates a piecewise-linear curve; it is flat beyond its ends.
func curveAt(pts []point, t int64) int64 {
	if len(pts) == 0 {
		return 0
	}
	if t <= pts[0].tick {
		return pts[0].seconds
	}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if t < b.tick {
			return a.seconds + (b.seconds-a.seconds)*(t-a.tick)/max(1, b.tick-a.tick)
		}
	}
	return pts[len(pts)-1].seconds
}
