package service

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stateCollector serves the gauges that read the running generation when
// scraped (and the throttling counter, which its API keeps).
type stateCollector struct {
	m     *metrics
	state func() runState
}

var (
	descWatched = prometheus.NewDesc("omswatch_projects_watched",
		"Projects the replica knows (static and discovered, not removed); the same on every replica.", nil, nil)
	descLeases = prometheus.NewDesc("omswatch_leases_held",
		"Lease shards this replica holds; 0 without ha.", nil, nil)
	descThrottled = prometheus.NewDesc("omswatch_api_throttled_total",
		"OMS answers saying Throttling*; each halves the client's request rate.", nil, nil)
	descPaused = prometheus.NewDesc("omswatch_polling_paused",
		"1 while polling is paused because OMS refuses the account's requests (bad signature, unknown key, forbidden); one request probes every 5 minutes.", nil, nil)
	descBacklog = prometheus.NewDesc("omswatch_outbox_backlog",
		"Events in the outbox not yet delivered to the target.", []string{"target"}, nil)
	descConditions = prometheus.NewDesc("omswatch_conditions",
		"Conditions per state over the projects this replica polls: pending (holding, not yet for `for`), firing.",
		[]string{"state"}, nil)
)

// backlogTimeout bounds the server round trips of one scrape.
const backlogTimeout = 2 * time.Second

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWatched, descLeases, descThrottled, descPaused, descBacklog, descConditions} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.state()
	if st != nil {
		c.m.retainConditions(func(_, project string) bool { return st.Owns(project) })
	}
	pending, firing := c.m.conditions()
	ch <- prometheus.MustNewConstMetric(descConditions, prometheus.GaugeValue, float64(pending), "pending")
	ch <- prometheus.MustNewConstMetric(descConditions, prometheus.GaugeValue, float64(firing), "firing")
	throttled := c.m.throttledBefore.Load()
	if st == nil {
		ch <- prometheus.MustNewConstMetric(descThrottled, prometheus.CounterValue, float64(throttled))
		return
	}
	throttled += st.Throttled()
	ch <- prometheus.MustNewConstMetric(descThrottled, prometheus.CounterValue, float64(throttled))
	ch <- prometheus.MustNewConstMetric(descWatched, prometheus.GaugeValue, float64(st.Watched()))
	ch <- prometheus.MustNewConstMetric(descLeases, prometheus.GaugeValue, float64(st.LeasesHeld()))
	paused := 0.0
	if st.Paused() {
		paused = 1
	}
	ch <- prometheus.MustNewConstMetric(descPaused, prometheus.GaugeValue, paused)
	ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
	defer cancel()
	for target, n := range st.Backlog(ctx) {
		ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(n), target)
	}
}
