// Package poller talks to OceanBase Migration Service on a schedule and
// hands each project's changes to the next stage.
//
// It reads OMS through two interfaces of its own, Fetcher
// (DescribeProject) and Lister (ListProjects pages), which package
// omsapi's Client implements; failures are classified with package oms
// (oms.IsProjectNotFound, oms.ErrorCode).
//
// Poller discovers projects (a static list and/or ListProjects with
// filters, paged to the end on its own schedule), polls them on cron
// schedules per group (robfig/cron, seconds-capable, UTC unless a zone is
// named, a running cycle never started twice, panics recovered, a fixed
// jitter per project), in two-tier mode by default: each cycle reads the
// fleet through ListProjects pages and describes only projects whose
// listed state (oms.Snapshot.StateDigest: everything but telemetry)
// changed, were never described, or whose periodic re-describe is due
// (spread over the refresh window, each project at its own phase:
// refresh.go); telemetry from the list refreshes the stored view without a
// describe. What two-tier decides on (last describe, listed state, the run
// of failures) is stored beside each snapshot, so a restart or `omswatch
// once` decides as a long-running poller would. A failed fleet read keeps
// the last listed state rather than describing every project it did not
// reach; a whole one stands for the discovery re-list. When OMS refuses
// the account's requests (oms.IsRefused) polling pauses, with one
// account-level event and a probe every Options.PauseProbe (pause.go).
//
// Every successful poll that changes something hands a Change (previous
// and new snapshot, removal, the poller's own oms.poll.failing and
// oms.poll.recovered events) to the Handler, and only once the Handler
// says its events are durable is the new snapshot saved in the Store
// (KVStore: a JetStream key-value bucket, compare-and-set on the key's
// revision, values compressed). A failed poll of any kind changes nothing
// and makes no project event. A project OMS says does not exist and
// ListProjects does not list is removed (and tombstoned); one that reaches
// RELEASED or DELETED is handed off one last time and not polled again.
//
// An Observer (Options.Observer) is told how each poll ends, with the
// error code of a failed one; Cycles and Watched say how far the poller
// got and what it watches, Paused whether OMS refuses the account, and
// Ready says why polling is paused or passes on the Fetcher's readiness
// (an omsapi.Client's last permanent failure), for metrics and readiness.
// Nothing here imports a metrics library.
//
// Replicas share the projects through leases (Options.Leases, package
// lease's Set behind the poller's own two-method Leases interface): a
// replica polls, and confirms the removal of, only the projects whose
// lease it holds, and a poll under a lease is cancelled when the lease is
// lost. Every replica discovers and lists the whole fleet; each polls only
// its own projects.
package poller
