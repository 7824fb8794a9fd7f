package differ

import (
	"maps"
	"slices"

	"github.com/omswatch/omswatch/event"
)

// stepErrors is what a step says about its errors: ExtraInfo.ErrorDetails
// keyed by identity ("Code|Message") and the old-style ErrorCode/ErrorMsg.
type stepErrors struct {
	details   map[string]any
	code, msg string
}

func errorsOf(step map[string]any) stepErrors {
	extra := obj(step["ExtraInfo"])
	return stepErrors{details: obj(extra["ErrorDetails"]), code: text(extra["ErrorCode"]), msg: text(extra["ErrorMsg"])}
}

func (e stepErrors) any() bool { return len(e.details) > 0 || e.code != "" || e.msg != "" }

// oldStyleIsDetail reports whether the old-style error repeats a detail:
// OMS fills both for one failure (INNER_ERROR beside CM-RESOAT1111 with the
// same message), which is one error, not two.
func (e stepErrors) oldStyleIsDetail() bool {
	for _, d := range e.details {
		m := obj(d)
		if (e.msg != "" && text(m["Message"]) == e.msg) || (e.code != "" && text(m["Code"]) == e.code) {
			return true
		}
	}
	return false
}

// codes lists the distinct error codes, sorted.
func (e stepErrors) codes() []string {
	codes := []string{}
	for _, d := range e.details {
		if c := text(obj(d)["Code"]); c != "" {
			codes = append(codes, c)
		}
	}
	if e.code != "" {
		codes = append(codes, e.code)
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

// stepErrors emits error_raised for each error a step has that it did not
// have, and error_cleared when a step that had errors has none. The first
// error event of a step also takes the step's other error-field ops
// (ErrorParam, FailedTime, a reworded detail).
func (b *builder) stepErrors(sp stepPair) {
	if sp.new == nil {
		return // a vanished step's errors go with its status change
	}
	old, cur := errorsOf(sp.old), errorsOf(sp.new)
	extra := []string{"Steps", sp.key, "ExtraInfo"}
	first := true
	raise := func(key string, fields map[string]any, scopes ...[]string) {
		p := &pending{typ: event.TypeStepErrorRaised, key: sp.key + "|" + key,
			fields: fields, scopes: scopes}
		if first {
			p.fallback, first = [][]string{extra}, false
		}
		fields["step"] = sp.key
		b.add(p)
	}
	for _, k := range slices.Sorted(maps.Keys(cur.details)) {
		if _, had := old.details[k]; had {
			continue
		}
		d := obj(cur.details[k])
		raise(k, map[string]any{"code": nullable(text(d["Code"])), "level": nullable(text(d["Level"])),
			"message": nullable(text(d["Message"])), "reason": nullable(text(d["Reason"])),
			"proposal": nullable(text(d["Proposal"]))},
			append(slices.Clip(extra), "ErrorDetails", k))
	}
	newOldStyle := (cur.code != "" || cur.msg != "") && (cur.code != old.code || cur.msg != old.msg)
	if newOldStyle && !cur.oldStyleIsDetail() {
		raise(cur.code+"|"+cur.msg, map[string]any{"code": nullable(cur.code), "level": nil,
			"message": nullable(cur.msg), "reason": nil, "proposal": nil},
			append(slices.Clip(extra), "ErrorCode"), append(slices.Clip(extra), "ErrorMsg"))
	}
	if sp.old != nil && old.any() && !cur.any() {
		b.add(&pending{typ: event.TypeStepErrorCleared, key: sp.key,
			fields: map[string]any{"step": sp.key, "codes": old.codes()}, scopes: [][]string{extra}})
	}
}
