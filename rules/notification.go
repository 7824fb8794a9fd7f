package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
)

// Notification is one message for one target: the events of one group
// (group_by values, one route), collected for group_wait. The sinks turn it
// into what the target receives: a Slack message, NATS messages (one per
// event, each with its own id for deduplication), webhook posts.
type Notification struct {
	Target string
	// Route is the name of the route that sends it; "" for default_to and
	// unnamed routes.
	Route string
	// Group is the group_by attributes and their values, e.g.
	// project=np_7hq2kd81; Key identifies the group (target, route, group).
	Group []GroupLabel
	Key   string
	// Events are in the order they were routed.
	Events []event.Event
	// Time is when the notification is due: group_wait after its first
	// event, later if the target's rate limit held it back.
	Time time.Time
	// Dropped counts notifications the target's rate limit discarded since
	// the previous one sent to it, because too many were waiting.
	Dropped int
}

// GroupLabel is one group_by attribute of a notification.
type GroupLabel struct {
	Name, Value string
}

// GroupString writes the group as name=value pairs.
func (n *Notification) GroupString() string {
	parts := make([]string, len(n.Group))
	for i, g := range n.Group {
		parts[i] = g.Name + "=" + g.Value
	}
	return strings.Join(parts, ",")
}

// Text is the default plain-text rendering of a notification, one line per
// event, for dry runs and for targets without a template of their own.
func (n *Notification) Text() string {
	var b strings.Builder
	for i, e := range n.Events {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(event.Summary(e))
	}
	if n.Dropped > 0 {
		fmt.Fprintf(&b, "\n(%d earlier notifications to %s were dropped by its rate limit)", n.Dropped, n.Target)
	}
	return b.String()
}
