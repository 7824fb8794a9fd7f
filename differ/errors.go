package differ

import (
	"maps"
	"reflect"
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
func (e stepErrors) oldStyleIsDetail() bool { return e.hasDetailLike(e.code, e.msg) }

// hasDetailLike reports whether a detail has the old-style error's code or
// message.
func (e stepErrors) hasDetailLike(code, msg string) bool {
	for _, d := range e.details {
		m := obj(d)
		if (msg != "" && text(m["Message"]) == msg) || (code != "" && text(m["Code"]) == code) {
			return true
		}
	}
	return false
}

// oldStyle reports whether the step has an old-style error of its own (one
// that repeats no detail).
func (e stepErrors) oldStyle() bool { return (e.code != "" || e.msg != "") && !e.oldStyleIsDetail() }

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
// have, error_cleared when a step that had errors has none, and
// error_changed when it still has errors but some went away or changed.
// The first error event of a step also takes the step's other error-field
// ops (ErrorParam, FailedTime).
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
	switch {
	case sp.old == nil || !old.any():
	case !cur.any():
		b.add(&pending{typ: event.TypeStepErrorCleared, key: sp.key,
			fields: map[string]any{"step": sp.key, "codes": old.codes()}, scopes: [][]string{extra}})
	default:
		b.errorChanged(sp, old, cur, !first)
	}
}

// errorChanged emits error_changed for a step that had errors and still
// has (EVENTS.md v2), so that no error edit is missing from the audit
// trail: cleared are the codes of errors that went away, changed the codes
// of errors that kept their identity (Code + Message) while another member
// changed (Level, Reason, Proposal...). The step-wide ErrorParam and
// FailedTime belong to all the step's errors, so their change names every
// code; unless an error was raised in the same diff (raised), whose event
// takes them as the circumstances of the new error.
func (b *builder) errorChanged(sp stepPair, old, cur stepErrors, raised bool) {
	extra := []string{"Steps", sp.key, "ExtraInfo"}
	at := func(segs ...string) []string { return append(slices.Clip(extra), segs...) }
	cleared, changed := []string{}, []string{}
	var scopes [][]string
	gone := false
	for _, k := range slices.Sorted(maps.Keys(old.details)) {
		was := obj(old.details[k])
		now, kept := cur.details[k]
		switch {
		case !kept:
			gone = true
			cleared = appendCode(cleared, text(was["Code"]))
		case !reflect.DeepEqual(old.details[k], now):
			changed = appendCode(changed, text(was["Code"]))
		default:
			continue
		}
		scopes = append(scopes, at("ErrorDetails", k))
	}
	if old.oldStyle() && (old.code != cur.code || old.msg != cur.msg) && !cur.hasDetailLike(old.code, old.msg) {
		gone = true
		cleared = appendCode(cleared, old.code)
		scopes = append(scopes, at("ErrorCode"), at("ErrorMsg"))
	}
	oldExtra, curExtra := obj(sp.old["ExtraInfo"]), obj(sp.new["ExtraInfo"])
	if !raised && (!reflect.DeepEqual(oldExtra["ErrorParam"], curExtra["ErrorParam"]) ||
		!reflect.DeepEqual(oldExtra["FailedTime"], curExtra["FailedTime"])) {
		for _, c := range cur.codes() {
			changed = appendCode(changed, c)
		}
		scopes = append(scopes, at("ErrorParam"), at("FailedTime"))
	}
	if !gone && len(changed) == 0 {
		return
	}
	slices.Sort(cleared)
	slices.Sort(changed)
	b.add(&pending{typ: event.TypeStepErrorChanged, key: sp.key,
		fields:   map[string]any{"step": sp.key, "cleared": slices.Compact(cleared), "changed": slices.Compact(changed)},
		scopes:   scopes,
		fallback: [][]string{extra}})
}

// appendCode adds an error code to a list, skipping an empty one (an
// old-style error with a message only).
func appendCode(codes []string, code string) []string {
	if code == "" {
		return codes
	}
	return append(codes, code)
}
