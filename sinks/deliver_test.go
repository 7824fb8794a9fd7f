package sinks

import (
	"testing"
	"time"
)

// The default retry schedule: no wait longer than 5 s, so the first try
// after a downstream's outage comes within 5 s of its end, and about as
// much patience before a notification is dead-lettered as the earlier
// schedule had (10 tries doubling to 5 m: 8.5 min of waiting), so an
// outage of several minutes is still bridged.
func TestTheDefaultRetriesResumeWithinSecondsAndBridgeMinutes(t *testing.T) {
	o := DispatcherOptions{}
	o.setDefaults()
	var total, longest time.Duration
	for attempt := 1; attempt < o.MaxAttempts; attempt++ {
		d := backoff(o.InitialBackoff, o.MaxBackoff, attempt)
		total += d
		longest = max(longest, d)
	}
	if longest > 5*time.Second {
		t.Errorf("the longest wait is %s; an outage's end would go unnoticed that long", longest)
	}
	if total < 8*time.Minute {
		t.Errorf("%d tries wait %s in all; an outage longer than that is dead-lettered", o.MaxAttempts, total)
	}
	t.Logf("default schedule: %d tries, waits up to %s, %s of waiting before a dead letter", o.MaxAttempts, longest, total)
}
