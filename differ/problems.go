package differ

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// Problem kinds of oms.project.discovered's problems (docs/EVENTS.md).
const (
	problemStepFailed    = "step_failed"
	problemError         = "error"
	problemAlarming      = "alarming"
	problemWorkerExpired = "worker_expired"
)

// problems says what is wrong with a project at first sight, in the order
// a reader wants it: each step (in order) that FAILED and the errors each
// step has, then an alarm that is on, then an expired worker. Nothing
// wrong is an empty list, never null.
//
// A problem is an object: its kind, the particulars a rule or consumer
// matches on (step, code...), and text, the phrase summaries and Slack
// templates print, so that neither has to know the kinds. It is a []any of
// map[string]any so that the sinks' cleaning reaches every string.
func (b *builder) problems(p oms.Project) []any {
	out := []any{}
	for _, sp := range stepPairs(nil, obj(member(b.cur, "Steps"))) {
		if strings.EqualFold(text(sp.new["Status"]), "FAILED") {
			out = append(out, map[string]any{"kind": problemStepFailed, "step": sp.key,
				"text": "step " + sp.key + " FAILED"})
		}
		errs := errorsOf(sp.new)
		for _, k := range slices.Sorted(maps.Keys(errs.details)) {
			d := obj(errs.details[k])
			out = append(out, errorProblem(sp.key, text(d["Code"]), text(d["Level"]), text(d["Message"])))
		}
		if (errs.code != "" || errs.msg != "") && !errs.oldStyleIsDetail() {
			out = append(out, errorProblem(sp.key, errs.code, "", errs.msg))
		}
	}
	if a := obj(member(b.cur, "AlarmStats")); isTrue(a["Alarming"]) {
		count, content := number(a["RecentlyTriggerCount"]), text(a["AlarmContent"])
		s := fmt.Sprintf("alarming (%d recent)", count)
		if content != "" {
			s += ": " + oneLine(content)
		}
		out = append(out, map[string]any{"kind": problemAlarming, "count": count,
			"content": nullable(content), "text": s})
	}
	if isTrue(obj(member(b.cur, "WorkerGradeInfo"))["Expired"]) {
		worker, end := expiredWorker(p.Worker)
		s := "worker expired"
		if worker != nil {
			s = "worker " + text(worker) + " expired"
		}
		if end != nil {
			s += " at " + text(end)
		}
		out = append(out, map[string]any{"kind": problemWorkerExpired, "worker": worker, "end_time": end, "text": s})
	}
	return out
}

// errorProblem is one open error of a step, with the fields error_raised
// names it by.
func errorProblem(step, code, level, msg string) map[string]any {
	s := "step " + step + " error"
	if code != "" {
		s += " " + code
	}
	if msg != "" {
		s += ": " + oneLine(msg)
	}
	return map[string]any{"kind": problemError, "step": step, "code": nullable(code),
		"level": nullable(level), "message": nullable(msg), "text": s}
}

// discoveredSeverity is first sight's severity (EVENTS.md v2): critical
// when the project or a step FAILED, warning when it is suspended or
// something else is wrong, else the catalog's default (info).
func discoveredSeverity(p oms.Project, problems []any) event.Severity {
	switch {
	case p.Failed():
		return event.Critical
	case strings.EqualFold(p.Status, "SUSPEND") || len(problems) > 0:
		return event.Warning
	}
	return ""
}

// expiredWorker is the worker and end time oms.worker.expired and the
// worker_expired problem name (null when OMS sent none).
func expiredWorker(w oms.Worker) (worker, end any) {
	if !w.EndTime.IsZero() {
		end = w.EndTime.UTC().Format(time.RFC3339)
	}
	return nullable(w.ID), end
}

// oneLine collapses white space (an OMS message's newlines), so a
// problem's text prints on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
