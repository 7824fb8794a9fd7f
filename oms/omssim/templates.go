package omssim

import (
	"fmt"
	"strings"
)

// Named lifecycle templates. Each makes a storyboard from a project's size.
const (
	// TemplateMigration is a full migration: precheck, schema, full, index,
	// incremental until caught up, full verification, switchover, finished,
	// released.
	TemplateMigration = "migration"
	// TemplateLagFailRecover is a sync whose incremental step lags, fails
	// with ErrorDetails, is resumed and catches up; the story repeats.
	TemplateLagFailRecover = "lag-fail-recover"
	// TemplateAlarm is a sync whose lag spikes past its alarm threshold, so
	// AlarmStats fire and clear; the story repeats.
	TemplateAlarm = "alarm"
	// TemplateFullFailResume is a migration whose full step fails and is
	// resumed (the transient FAILED of odc#58).
	TemplateFullFailResume = "full-fail-resume"
	// TemplateWorkerExpiry is a sync whose prepaid transfer instance
	// expires, after which the project is suspended.
	TemplateWorkerExpiry = "worker-expiry"
	// TemplateSuspendResume is a sync whose incremental step lags, fails
	// and is resumed, and which a user then pauses (SUSPEND) while it is
	// behind and resumes: the states conditions must tell apart from a
	// stall or a recovery.
	TemplateSuspendResume = "suspend-resume"
)

// Templates lists the template names: the ones the generator deals in
// turn (dealtTemplates), then the ones it gives only on request.
func Templates() []string {
	return append(dealtTemplates(), TemplateSuspendResume)
}

// dealtTemplates are the templates a mix deals out, in order. A template
// added later is not dealt, so that a seed keeps giving the projects it gave.
func dealtTemplates() []string {
	return []string{TemplateMigration, TemplateLagFailRecover, TemplateAlarm, TemplateFullFailResume, TemplateWorkerExpiry}
}

// alarmWindow is how many ticks an alarm trigger counts as "recent".
const alarmWindow = 12

// boardParams is what a template needs to know about a project.
type boardParams struct {
	fullTicks  int64
	stepSec    int64 // simulated seconds per tick
	legacy     bool  // legacy step names, with an INCR_LOG_PULL step
	deferIndex bool
	fullErr    stepError // used by templates that fail the full step
	incrErr    stepError // used by templates that fail the incremental step
}

type template struct {
	name  string
	typ   string // MIGRATION or SYNC
	build func(p boardParams) storyboard
}

func templateByName(name string) (*template, error) {
	for _, t := range templates() {
		if t.name == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("unknown template %q (want one of %s)", name, strings.Join(Templates(), ", "))
}

func templates() []*template {
	return []*template{
		{name: TemplateMigration, typ: "MIGRATION", build: buildMigration},
		{name: TemplateLagFailRecover, typ: "SYNC", build: buildLagFailRecover},
		{name: TemplateAlarm, typ: "SYNC", build: buildAlarm},
		{name: TemplateFullFailResume, typ: "MIGRATION", build: buildFullFailResume},
		{name: TemplateWorkerExpiry, typ: "SYNC", build: buildWorkerExpiry},
		{name: TemplateSuspendResume, typ: "SYNC", build: buildSuspendResume},
	}
}

// prefix schedules what every project does first: precheck, schema, (log
// pull), full, (index), then incremental catching up until it monitors.
// fullFail > 0 fails the full step for that many ticks half-way through.
func prefix(p boardParams, fullFail int64) (sb storyboard, mon int64) {
	sb = storyboard{finishAt: -1, releasingAt: -1, releasedAt: -1, suspendAt: -1, resumeAt: -1, expireAt: -1}
	add := func(ph phase, start, end, monitorAt int64) {
		sb.steps = append(sb.steps, stepPlan{phase: ph, start: start, end: end, monitorAt: monitorAt})
	}
	add(phPrecheck, 0, 2, -1)
	add(phSchema, 2, 4, -1)
	t := int64(4)
	if p.legacy {
		add(phLogPull, t, -1, t+1)
	}
	fullStart := t
	add(phFull, t, t+p.fullTicks+fullFail, -1)
	if fullFail > 0 {
		from := t + p.fullTicks/2
		sb.steps[len(sb.steps)-1].fails = []failWindow{{from: from, to: from + fullFail, err: p.fullErr}}
	}
	t += p.fullTicks + fullFail
	if p.deferIndex {
		add(phIndex, t, t+2, -1)
		t += 2
	}
	mon = t + 3
	add(phIncr, t, -1, mon)
	// Changes pile up from the moment the full step starts reading; the
	// incremental step works them off until it monitors.
	sb.delay = []point{{t, (t - fullStart) * p.stepSec}, {mon, 2}}
	return sb, mon
}

// finishMigration adds verification and switchover after mon and ends the
// project: finished, releasing, released.
func finishMigration(sb *storyboard, mon, verifyTicks int64) {
	sb.steps = append(sb.steps,
		stepPlan{phase: phVerify, start: mon, end: mon + verifyTicks, monitorAt: -1},
		stepPlan{phase: phSwitch, start: mon + verifyTicks + 2, end: mon + verifyTicks + 4, monitorAt: -1})
	finish := mon + verifyTicks + 4
	for i := range sb.steps {
		if ph := sb.steps[i].phase; ph == phIncr || ph == phLogPull {
			sb.steps[i].end = finish
		}
	}
	sb.finishAt, sb.releasingAt, sb.releasedAt = finish, finish+3, finish+5
	sb.length = sb.releasedAt + 3
}

func buildMigration(p boardParams) storyboard {
	sb, mon := prefix(p, 0)
	finishMigration(&sb, mon, max(3, p.fullTicks/2))
	sb.plot = -2 // from two ticks before it starts: created, not yet started
	return sb
}

func buildFullFailResume(p boardParams) storyboard {
	sb, mon := prefix(p, 4)
	finishMigration(&sb, mon, max(3, p.fullTicks/2))
	sb.plot = -2
	return sb
}

func buildLagFailRecover(p boardParams) storyboard {
	sb, mon := prefix(p, 0)
	lagFrom := mon + 4
	failFrom := lagFrom + 8
	failTo := failFrom + 6
	const recover = 5
	end := failTo + recover + 4
	sb.delay = append(sb.delay, point{lagFrom, 2}, point{failFrom, 600}, point{failTo + recover, 2})
	incr := sb.step(phIncr)
	incr.fails = []failWindow{{from: failFrom, to: failTo, recover: recover, err: p.incrErr}}
	sb.cycleFrom, sb.cycleLen, sb.length, sb.plot = mon+1, end-(mon+1), end, mon-2
	return sb
}

func buildAlarm(p boardParams) storyboard {
	sb, mon := prefix(p, 0)
	rise := mon + 3
	peak := rise + 5
	down := peak + 5
	sb.delay = append(sb.delay, point{rise, 2}, point{peak, 300}, point{down, 2})
	end := down + alarmWindow + 3 // let the recent counts age out before the next telling
	sb.cycleFrom, sb.cycleLen, sb.length, sb.plot = mon+1, end-(mon+1), end, mon-2
	return sb
}

func buildWorkerExpiry(p boardParams) storyboard {
	sb, mon := prefix(p, 0)
	sb.expireAt = mon + 8
	sb.suspendAt = mon + 10
	sb.length, sb.plot = mon+14, mon-2
	return sb
}

// buildSuspendResume: the incremental step falls behind faster than time
// passes (its checkpoint goes back), fails for 3 ticks, is resumed and
// catches up; then the user pauses the project for 6 ticks (the lag grows
// by a tick a tick, the checkpoint frozen) and resumes it, and it catches
// up in 2 ticks. The story is told once, from the tick the step monitors.
func buildSuspendResume(p boardParams) storyboard {
	sb, mon := prefix(p, 0)
	lagFrom := mon + 2
	failFrom := lagFrom + 7
	failTo := failFrom + 3
	const recover = 2
	sb.delay = append(sb.delay, point{lagFrom, 2}, point{failFrom, 8 * p.stepSec}, point{failTo + recover, 2})
	sb.step(phIncr).fails = []failWindow{{from: failFrom, to: failTo, recover: recover, err: p.incrErr}}
	sb.suspendAt = failTo + recover + 2
	sb.resumeAt, sb.resumeRecover = sb.suspendAt+6, 2
	sb.length, sb.plot = sb.resumeAt+sb.resumeRecover+2, mon
	return sb
}

// stepName is the name of a phase's step in a family (§4.3).
func stepName(ph phase, legacy bool, typ string) string {
	transfer := [...]string{"TRANSFER_PRECHECK", "STRUCT_TRANSFER", "TRANSFER_INCR_LOG_PULL", "FULL_TRANSFER",
		"INDEX_TRANSFER", "INCR_TRANSFER", "FULL_VERIFIER", "TRANSFER_APP_SWITCH"}
	old := [...]string{"PRE_CHECK", "STRUCT_MIGRATION", "INCR_LOG_PULL", "FULL_MIGRATION",
		"INDEX_MIGRATION", "INCR_SYNC", "FULL_VALIDATION", "APP_SWITCH"}
	if !legacy {
		return transfer[ph]
	}
	if ph == phSchema && typ == "SYNC" {
		return "STRUCT_SYNC"
	}
	return old[ph]
}

// stepDescription is the console's (Chinese) label of a phase.
func stepDescription(ph phase, typ string) string {
	sync := typ == "SYNC"
	switch ph {
	case phPrecheck:
		return "预检查"
	case phSchema:
		return map[bool]string{true: "结构同步", false: "结构迁移"}[sync]
	case phLogPull:
		return "增量日志拉取"
	case phFull:
		return map[bool]string{true: "全量同步", false: "全量迁移"}[sync]
	case phIndex:
		return "索引迁移"
	case phIncr:
		return "增量同步"
	case phVerify:
		return "全量校验"
	default:
		return "正向切换"
	}
}
