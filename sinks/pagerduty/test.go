package pagerduty

import (
	"context"
	"fmt"
)

// Test sends a resolve for dedupKey, which names no alert: PagerDuty
// accepts it and pages nobody. It checks the URL and the request; a
// routing key PagerDuty does not know may still be accepted (it is
// checked when an event is processed), so a trigger is the only full
// test, and that pages.
func (s *Sink) Test(ctx context.Context, dedupKey string) (string, error) {
	body, err := jsonBody(Event{RoutingKey: s.cfg.RoutingKey.Reveal(), EventAction: Resolve, DedupKey: dedupKey})
	if err != nil {
		return "", err
	}
	status, err := s.post(ctx, body)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("accepted (HTTP %d) a resolve of the test dedup_key %s; it pages nobody", status, dedupKey), nil
}
