package service

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/rules"
)

// metrics are the Prometheus metrics `run` serves: exactly the contract in
// deploy/README.md (the Grafana dashboard reads only those), plus the Go
// runtime's and the process's own, on a registry of their own (never the
// default one). The counters live as long as the process, across reloads;
// the gauges read the running generation when scraped. metrics implements
// poller.Observer, sinks.Observer and pipelineObserver, so the stages
// report to it without importing Prometheus.
type metrics struct {
	reg *prometheus.Registry

	polls        *prometheus.CounterVec
	pollDuration prometheus.Histogram
	fleetUnread  prometheus.Counter
	events       *prometheus.CounterVec
	deliveries   *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	failing      *prometheus.GaugeVec
	digests      *prometheus.CounterVec

	// throttledBefore counts the throttling answers of the generations a
	// reload replaced: each generation's API counts from zero, the metric
	// may not go down.
	throttledBefore atomic.Int64
	// pollsDone counts every poll, for bench's polls/s.
	pollsDone atomic.Int64

	mu    sync.Mutex
	conds map[string][2]int // source+"\x00"+project -> pending, firing
}

// runState is what the gauges read from the running generation (nil before
// the first one starts).
type runState interface {
	Watched() int
	LeasesHeld() int
	// Owns reports whether this replica polls the project (always without
	// ha): the conditions of projects another replica took over are its.
	Owns(project string) bool
	Throttled() int64
	// Paused reports whether polling is paused because OMS refuses the
	// account's requests.
	Paused() bool
	Backlog(ctx context.Context) map[string]uint64
}

// Labels of omswatch_deliveries_total's result.
const (
	deliveryOK         = "ok"
	deliveryRetry      = "retry"
	deliveryDeadLetter = "dead_letter"
)

// newMetrics registers every metric; state returns the running generation.
func newMetrics(buildVersion string, state func() runState) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), conds: map[string][2]int{}}
	m.polls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "omswatch_polls_total",
		Help: "Project polls by result (changed, unchanged, failed, removed) and OMS error code of a failed one."},
		[]string{"result", "code"})
	m.pollDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "omswatch_poll_duration_seconds",
		Help:    "One project poll, from its start to its snapshot saved.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}})
	m.fleetUnread = prometheus.NewCounter(prometheus.CounterOpts{Name: "omswatch_fleet_reads_failed_total",
		Help: "Cycles whose ListProjects fleet read failed after its retries: they kept the last listed state and described only the projects due anyway."})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "omswatch_events_total",
		Help: "Events made (changes, conditions, the poller's own), before routing."}, []string{"type", "severity"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "omswatch_deliveries_total",
		Help: "Deliveries to a target by result: ok, retry (to be tried again), dead_letter."}, []string{"target", "result"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "omswatch_delivery_latency_seconds",
		Help:    "From the observation of a change to its delivery to the target.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}, []string{"target"})
	m.failing = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "omswatch_target_failing",
		Help: "1 while a target has failed for longer than store.delivery.failing_after without one success (oms.target.failing); 0 once it delivers again."},
		[]string{"target"})
	m.digests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "omswatch_digests_total",
		Help: "Digests (digest.cron) by result: ok (stored for its targets), failed (not made or not stored; logged)."}, []string{"result"})
	m.digests.WithLabelValues("ok").Add(0) // served from the start, so an alert on failed has a series to read
	m.digests.WithLabelValues("failed").Add(0)
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "omswatch_build_info",
		Help: "Always 1; the version the binary was built as."}, []string{"version"})
	build.WithLabelValues(buildVersion).Set(1)
	m.reg.MustRegister(m.polls, m.pollDuration, m.fleetUnread, m.events, m.deliveries, m.latency, m.failing, m.digests, build,
		&stateCollector{m: m, state: state},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Digested counts a digest's outcome (digester.counted).
func (m *metrics) Digested(ok bool) {
	result := "ok"
	if !ok {
		result = "failed"
	}
	m.digests.WithLabelValues(result).Inc()
}

// Polled counts one poll (poller.Observer).
func (m *metrics) Polled(result, code string, took time.Duration) {
	m.polls.WithLabelValues(result, code).Inc()
	m.pollsDone.Add(1)
	m.pollDuration.Observe(took.Seconds())
}

// FleetUnread counts a cycle that could not read the fleet (poller.Observer).
func (m *metrics) FleetUnread(string) { m.fleetUnread.Inc() }

// Delivered counts a delivery and its latency (sinks.Observer).
func (m *metrics) Delivered(target string, es []event.Event) {
	m.deliveries.WithLabelValues(target, deliveryOK).Add(float64(len(es)))
	h := m.latency.WithLabelValues(target)
	now := time.Now()
	for _, e := range es {
		h.Observe(max(now.Sub(e.Time), 0).Seconds())
	}
}

// Retried counts failed sends to be tried again (sinks.Observer).
func (m *metrics) Retried(target string, n int) {
	m.deliveries.WithLabelValues(target, deliveryRetry).Add(float64(n))
}

// DeadLettered counts events given up on (sinks.Observer).
func (m *metrics) DeadLettered(target string, n int, _ string) {
	m.deliveries.WithLabelValues(target, deliveryDeadLetter).Add(float64(n))
}

// TargetFailing sets omswatch_target_failing (healthObserver).
func (m *metrics) TargetFailing(target string, failing bool) {
	v := 0.0
	if failing {
		v = 1
	}
	m.failing.WithLabelValues(target).Set(v)
}

// Evaluated counts a hand-off's events and keeps the project's condition
// states (pipelineObserver).
func (m *metrics) Evaluated(source, project string, es []event.Event, st rules.State) {
	for _, e := range es {
		m.events.WithLabelValues(e.Type, string(e.Severity)).Inc()
	}
	var c [2]int
	for _, cs := range st.Conditions {
		if cs.Firing() {
			c[1]++
		} else {
			c[0]++
		}
	}
	key := source + "\x00" + project
	m.mu.Lock()
	defer m.mu.Unlock()
	if c == ([2]int{}) {
		delete(m.conds, key)
	} else {
		m.conds[key] = c
	}
}

// retainConditions forgets the condition states of projects keep rejects:
// with ha, the projects another replica took over, whose conditions it now
// reports.
func (m *metrics) retainConditions(keep func(source, project string) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key := range m.conds {
		source, project, _ := strings.Cut(key, "\x00")
		if !keep(source, project) {
			delete(m.conds, key)
		}
	}
}

func (m *metrics) conditions() (pending, firing int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.conds {
		pending += c[0]
		firing += c[1]
	}
	return pending, firing
}

// pollCount is how many polls were made since start.
func (m *metrics) pollCount() float64 { return float64(m.pollsDone.Load()) }
