package omssim

import "fmt"

// Alarms are derived from the lifecycle, as OMS's own alerting would raise
// them: a failure rule while any step is FAILED, a delay rule while the
// monitored incremental lag exceeds the threshold of the project's
// Importance. A rule that holds triggers when it starts holding and again
// every alarmRepeat ticks; triggers in the last alarmWindow ticks are
// "recent". IGNORE projects have monitoring off and never alarm.

const alarmRepeat = 3

// delayThreshold is the delay (s) above which each protection level alarms.
var delayThreshold = map[string]int64{"HIGH": 30, "MEDIUM": 120, "LOW": 600}

// alarmRules are the rule names OMS uses for each project type.
func alarmRules(typ string) (failed, delay string) {
	if typ == "SYNC" {
		return "oms_sync_failed", "oms_sync_delay"
	}
	return "oms_migration_failed", "oms_migration_delay"
}

// conditions reports which rules hold at global tick u.
func (g *Generator) conditions(sp *projectSpec, u int64) (failed bool, delay int64, delayHolds bool) {
	pm := sp.board.at(u, sp.offset)
	if pm.raw < 0 {
		return false, 0, false
	}
	status := sp.board.projectStatus(pm.raw, pm.l)
	if status != stRunning && status != stFailed {
		return false, 0, false
	}
	failed = status == stFailed
	incr := sp.board.step(phIncr)
	if incr == nil || pm.l < incr.monitorAt || (incr.end >= 0 && pm.l >= incr.end) {
		return failed, 0, false // no delay alarm while first catching up
	}
	_, delay = g.sample(sp, pm)
	threshold, ok := delayThreshold[sp.importance]
	return failed, delay, ok && delay > threshold
}

func (g *Generator) alarms(sp *projectSpec, t int64) alarmStatsDoc {
	failRule, delayRule := alarmRules(sp.typ)
	out := alarmStatsDoc{OpenMonitor: sp.importance != "IGNORE", RuleToRecentlyTriggerCount: map[string]int{}}
	if !out.OpenMonitor {
		return out
	}
	out.RuleToRecentlyTriggerCount[failRule], out.RuleToRecentlyTriggerCount[delayRule] = 0, 0
	prevFail, _, prevDelay := g.conditions(sp, t-alarmWindow)
	for u := t - alarmWindow + 1; u <= t; u++ {
		failed, delay, delayHolds := g.conditions(sp, u)
		if failed && (!prevFail || u%alarmRepeat == 0) {
			out.RuleToRecentlyTriggerCount[failRule]++
			out.Target = ptr(sp.id)
			out.AlarmContent = ptr(fmt.Sprintf("[%s] project %s (%s) has a failed step", failRule, sp.name, sp.id))
		}
		if delayHolds && (!prevDelay || u%alarmRepeat == 0) {
			out.RuleToRecentlyTriggerCount[delayRule]++
			out.Target = ptr(sp.id)
			out.AlarmContent = ptr(fmt.Sprintf("[%s] project %s (%s) incremental delay %ds exceeds %ds",
				delayRule, sp.name, sp.id, delay, delayThreshold[sp.importance]))
		}
		prevFail, prevDelay = failed, delayHolds
		if u == t {
			out.Alarming = failed || delayHolds
		}
	}
	for _, n := range out.RuleToRecentlyTriggerCount {
		out.RecentlyTriggerCount += n
	}
	return out
}
