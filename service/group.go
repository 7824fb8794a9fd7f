package service

import (
	"time"

	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// ruleGrouper is a target's sinks.Grouper on the rules engine's
// Dispatcher: group_by, group_wait and the target's rate limit, run on the
// consumer side so that the messages of a waiting group stay
// unacknowledged in the outbox (a crash redelivers them, nothing waits
// only in memory).
type ruleGrouper struct{ d *rules.Dispatcher }

func (g ruleGrouper) Add(now time.Time, ds []sinks.Delivery) {
	rds := make([]rules.Delivery, len(ds))
	for i, d := range ds {
		rds[i] = rules.Delivery{Event: d.Event, Target: d.Target, Route: d.Route, RouteIndex: d.RouteIndex}
	}
	g.d.Add(now, rds)
}

func (g ruleGrouper) Due(now time.Time) []sinks.Notification { return notifications(g.d.Due(now)) }

func (g ruleGrouper) Flush() []sinks.Notification { return notifications(g.d.Flush()) }

func (g ruleGrouper) Next() (time.Time, bool) { return g.d.Next() }

func notifications(ns []rules.Notification) []sinks.Notification {
	out := make([]sinks.Notification, len(ns))
	for i, n := range ns {
		out[i] = sinks.Notification{Target: n.Target, Route: n.Route, Group: n.GroupString(), Events: n.Events, Dropped: n.Dropped}
	}
	return out
}
