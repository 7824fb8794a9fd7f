package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronField is one field of a cron spec: its name, what it counts and the
// values it takes.
type cronField struct {
	name, unit string
	min, max   int
}

var (
	secondField = cronField{"second", "seconds", 0, 59}
	cronFields  = []cronField{{"minute", "minutes", 0, 59}, {"hour", "hours", 0, 23},
		{"day of month", "days", 1, 31}, {"month", "months", 1, 12}, {"day of week", "days", 0, 6}}
)

// specSteps reports a step no larger than its field allows: cron reads
// */61 in the minute field as minute 0 only, once an hour, not the "every
// 61 minutes" it looks like. A descriptor has no steps.
func specSteps(spec string) string {
	fields := strings.Fields(spec)
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "TZ=") || strings.HasPrefix(fields[0], "CRON_TZ=")) {
		fields = fields[1:]
	}
	if len(fields) == 0 || strings.HasPrefix(fields[0], "@") {
		return ""
	}
	kinds := cronFields
	if len(fields) == 6 {
		kinds = append([]cronField{secondField}, cronFields...)
	}
	for i, f := range fields {
		if i >= len(kinds) {
			break
		}
		k := kinds[i]
		for _, part := range strings.Split(f, ",") {
			rng, stepText, ok := strings.Cut(part, "/")
			if !ok {
				continue
			}
			step, err := strconv.Atoi(stepText)
			if err != nil || step < 1 {
				continue // cron has said so
			}
			lo, hi := k.min, k.max
			if a, b, isRange := strings.Cut(rng, "-"); isRange {
				lo, hi = atoiOr(a, lo), atoiOr(b, hi)
			} else if rng != "*" && rng != "?" {
				lo = atoiOr(rng, lo)
			}
			if step > hi-lo {
				return fmt.Sprintf("the step /%d in its %s field is larger than the range %d-%d it steps through, so it means %s %d only, not every %d %s; use a step up to %d",
					step, k.name, lo, hi, k.name, lo, step, k.unit, max(1, hi-lo))
			}
		}
	}
	return ""
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// neverFires reports a schedule cron can find no time for: a day of the
// month that none of its months has (0 0 31 2 *). Every schedule that can
// fire does so within cron's search of five years, leap days included.
func neverFires(s cron.Schedule) bool {
	return s.Next(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero()
}
