package oms

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"
)

// stepsOf reads the canonical Steps object (or, leniently, an array).
func stepsOf(v any) []Step {
	var steps []Step
	add := func(key string, e any) {
		if m := objectOf(e); m != nil {
			steps = append(steps, stepOf(key, m))
		}
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			add(k, e)
		}
	case []any:
		for _, e := range t {
			add("", e)
		}
	}
	slices.SortFunc(steps, func(a, b Step) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Key, b.Key))
	})
	return steps
}

func stepOf(key string, m map[string]any) Step {
	s := Step{
		Name: textOf(m["Name"]), Key: key, Order: intOf(m["Order"]),
		Status: textOf(m["Status"]), Progress: intOf(m["Progress"]),
		Description: textOf(m["Description"]),
		StartTime:   timeOf(m["StartTime"]), FinishTime: timeOf(m["FinishTime"]),
		Errors: stepErrors(objectOf(m["ExtraInfo"])),
	}
	if s.Key == "" {
		s.Key = StepKey(s.Name)
	}
	s.Phase = PhaseOf(s.Name)
	if info := objectOf(m["StepInfo"]); info != nil {
		s.Info = copyInfo(info)
	}
	return s
}

// stepErrors reads ExtraInfo.ErrorDetails, plus the old-style
// ErrorCode/ErrorMsg as one more entry unless a detail says the same.
func stepErrors(extra map[string]any) []StepError {
	var out []StepError
	for _, e := range elementsOf(extra["ErrorDetails"]) {
		d := objectOf(e)
		if d == nil {
			continue
		}
		out = append(out, StepError{Code: textOf(d["Code"]), Level: textOf(d["Level"]),
			Message: textOf(d["Message"]), Reason: textOf(d["Reason"]), Proposal: textOf(d["Proposal"])})
	}
	slices.SortStableFunc(out, func(a, b StepError) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Message, b.Message))
	})
	code, msg := textOf(extra["ErrorCode"]), textOf(extra["ErrorMsg"])
	if code == "" && msg == "" {
		return out
	}
	dup := slices.ContainsFunc(out, func(e StepError) bool {
		return e.Code == code && (e.Message == msg || msg == "")
	})
	if !dup {
		out = append(out, StepError{Code: code, Message: msg})
	}
	return out
}

// copyInfo deep-copies a free-form StepInfo, turning json.Number into int64
// or float64 so that rules can compare it with numbers.
func copyInfo(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, e := range v {
		out[k] = copyValue(e)
	}
	return out
}

func copyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyInfo(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyValue(e)
		}
		return out
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	}
	return v
}

// stepCheckpoint returns the incrTimestampCheckpoint of INCR_TRANSFER's
// StepInfo, else of the first other incremental step that has one.
func stepCheckpoint(steps []Step) time.Time {
	ordered := slices.SortedStableFunc(slices.Values(steps), func(a, b Step) int {
		return cmp.Compare(boolRank(a.Key != "INCR_TRANSFER"), boolRank(b.Key != "INCR_TRANSFER"))
	})
	for _, s := range ordered {
		if s.Phase != PhaseIncr {
			continue
		}
		if t := timeOf(s.Info["incrTimestampCheckpoint"]); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
