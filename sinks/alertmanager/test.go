package alertmanager

import (
	"context"
	"fmt"
)

// TestAlertName is the alertname of the alert Test posts.
const TestAlertName = "OmswatchTest"

// Test posts one alert that is already resolved (startsAt = endsAt =
// now), so that Alertmanager accepts it and notifies nobody: it checks
// the URL, its credentials and the alert's shape. text is its summary.
func (s *Sink) Test(ctx context.Context, text string) (string, error) {
	now := s.o.Now().UTC()
	a := Alert{Labels: map[string]string{"alertname": TestAlertName, "target": s.name}, Annotations: map[string]string{"summary": text},
		StartsAt: now, EndsAt: now, GeneratorURL: s.o.ConsoleURL}
	for k, v := range s.cfg.Labels {
		a.Labels[k] = v
	}
	status, err := s.post(ctx, []Alert{a})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("accepted (HTTP %d) a resolved test alert %s; it notifies nobody", status, TestAlertName), nil
}
