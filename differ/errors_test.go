package differ

import "testing"

// EVENTS.md v2: every edit of a step's errors is an event. error_changed
// is for a step that still has errors; all gone stays error_cleared, and
// the circumstances of a newly raised error stay with error_raised.
func TestErrorChanged(t *testing.T) {
	one := errorDetail("CM-RESOAT1111", "ERROR", "A system error occurred.", "null", "null")
	two := errorDetail("CONNECT_CHECK_ERROR", "CRITICAL", "Cannot connect to the sink.", "timeout", "Check the network.")
	errs := func(ds ...doc) func(doc) {
		return func(d doc) {
			list := []any{}
			for _, x := range ds {
				c := doc{}
				for k, v := range x {
					c[k] = v
				}
				list = append(list, c)
			}
			stepExtra(d, "FULL_TRANSFER")["ErrorDetails"] = list
		}
	}
	detail := func(i int, key, value string) func(doc) {
		return func(d doc) { stepExtra(d, "FULL_TRANSFER")["ErrorDetails"].([]any)[i].(doc)[key] = value }
	}
	extra := func(key string, v any) func(doc) {
		return func(d doc) { stepExtra(d, "FULL_TRANSFER")[key] = v }
	}
	for _, tc := range []struct {
		name     string
		old, cur []func(doc)
		want     string
	}{
		{"reason changed", []func(doc){errs(one, two)}, []func(doc){errs(one, two), detail(1, "Reason", "refused")},
			"oms.step.error_changed info cleared=[] changed=[CONNECT_CHECK_ERROR]"},
		{"level changed", []func(doc){errs(one)}, []func(doc){errs(one), detail(0, "Level", "FATAL")},
			"oms.step.error_changed info cleared=[] changed=[CM-RESOAT1111]"},
		{"one of two gone", []func(doc){errs(one, two)}, []func(doc){errs(one)},
			"oms.step.error_changed info cleared=[CONNECT_CHECK_ERROR] changed=[]"},
		{"failed time and params name every code", []func(doc){errs(one, two)},
			[]func(doc){errs(one, two), extra("FailedTime", "2023-07-13T06:31:00"), extra("ErrorParam", doc{"k": "v"})},
			"oms.step.error_changed info cleared=[] changed=[CM-RESOAT1111 CONNECT_CHECK_ERROR]"},
		{"old style gone, detail kept", []func(doc){errs(one), extra("ErrorCode", "WRITER_UNKNOWN_STATUS"), extra("ErrorMsg", "w")},
			[]func(doc){errs(one)},
			"oms.step.error_changed info cleared=[WRITER_UNKNOWN_STATUS] changed=[]"},
		{"old style repeating a detail is no second error", []func(doc){errs(one), extra("ErrorCode", "INNER_ERROR"),
			extra("ErrorMsg", "A system error occurred.")}, []func(doc){errs(one)}, ""},
		{"reworded: raised and the old one cleared", []func(doc){errs(one, two)},
			[]func(doc){errs(one, two), detail(1, "Message", "Cannot reach the sink.")},
			"oms.step.error_raised critical code=CONNECT_CHECK_ERROR\n" +
				"oms.step.error_changed info cleared=[CONNECT_CHECK_ERROR] changed=[]"},
		{"raised with a new failed time: raised only", []func(doc){errs(one)},
			[]func(doc){errs(one, two), extra("FailedTime", "2023-07-13T06:31:00")},
			"oms.step.error_raised critical code=CONNECT_CHECK_ERROR"},
		{"all gone is error_cleared", []func(doc){errs(one, two)}, []func(doc){errs()},
			"oms.step.error_cleared info"},
		{"reordered is nothing", []func(doc){errs(one, two)}, []func(doc){errs(two, one)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := brief(diffDocs(t, edited(tc.old...), changed(tc.cur...)), "code", "cleared", "changed")
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
