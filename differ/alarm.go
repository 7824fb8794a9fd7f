package differ

import (
	"strings"

	"github.com/omswatch/omswatch/event"
)

// alarm emits at most one oms.alarm.triggered (Alarming false->true, or
// RecentlyTriggerCount rose, or a rule's count rose) and oms.alarm.cleared
// (Alarming true->false). A missing AlarmStats or count reads as false or 0.
func (b *builder) alarm() {
	old, cur := obj(member(b.prev, "AlarmStats")), obj(member(b.cur, "AlarmStats"))
	wasOn, isOn := isTrue(old["Alarming"]), isTrue(cur["Alarming"])
	count := number(cur["RecentlyTriggerCount"])
	rose := count > number(old["RecentlyTriggerCount"])
	rules := map[string]any{}
	oldRules, curRules := obj(old["RuleToRecentlyTriggerCount"]), obj(cur["RuleToRecentlyTriggerCount"])
	for r, v := range curRules {
		if inc := number(v) - number(oldRules[r]); inc > 0 {
			rules[r] = inc
		}
	}
	counts := [][]string{{"AlarmStats", "RecentlyTriggerCount"}, {"AlarmStats", "RuleToRecentlyTriggerCount"}}
	alarming := []string{"AlarmStats", "Alarming"}
	if (!wasOn && isOn) || rose || len(rules) > 0 {
		scopes := counts
		if !wasOn && isOn {
			scopes = append([][]string{alarming}, counts...)
		}
		b.add(&pending{typ: event.TypeAlarmTriggered, scopes: scopes,
			fields: map[string]any{"rules": rules, "count": count, "content": nullable(text(cur["AlarmContent"]))}})
	}
	if wasOn && !isOn {
		b.add(&pending{typ: event.TypeAlarmCleared,
			scopes: append([][]string{alarming}, counts...), fields: map[string]any{"count": count}})
	}
}

// worker emits oms.worker.expired when WorkerGradeInfo.Expired turned true.
func (b *builder) worker() {
	old, cur := obj(member(b.prev, "WorkerGradeInfo")), obj(member(b.cur, "WorkerGradeInfo"))
	if isTrue(old["Expired"]) || !isTrue(cur["Expired"]) {
		return
	}
	worker, end := expiredWorker(b.cur.Project().Worker)
	b.add(&pending{typ: event.TypeWorkerExpired,
		fields: map[string]any{"worker": worker, "end_time": end},
		scopes: [][]string{{"WorkerGradeInfo", "Expired"}}})
}

// isConfigSection reports the top-level members EVENTS.md calls
// configuration: a change to any of them is oms.config.changed.
func isConfigSection(k string) bool {
	switch k {
	case "TransferMapping", "CommonTransferConfig", "StructTransferConfig", "FullTransferConfig",
		"IncrTransferConfig", "ReverseIncrTransferConfig", "SourceConnectInfo", "SinkConnectInfo",
		"DestConnId", "IsModifying", "IsMerging":
		return true
	}
	return strings.HasPrefix(k, "Enable")
}

// config emits one oms.config.changed naming every section that changed.
func (b *builder) config(ops []*op) {
	sections := topKeys(ops, isConfigSection)
	if len(sections) == 0 {
		return
	}
	b.add(&pending{typ: event.TypeConfigChanged,
		fields: map[string]any{"sections": sections}, scopes: scopesOf(sections)})
}
