// Package poller talks to OceanBase Migration Service on a schedule and
// hands each project's changes to the next stage.
//
// Clients: Cloud is Alibaba Cloud's OceanBasePro RPC API through Alibaba's
// own darabonba-openapi client (signature V3 by default, V1 on request;
// credentials static or from credentials-go's default chain); OnPrem is an
// OMS console's /api/v2 (JSON, camelCase, HTTP Basic auth, optional TLS
// with a custom CA). Both are Transports that return the raw answer, which
// API decodes and classifies with package oms the same way for both.
//
// API adds what a fleet needs: a global rate per account/endpoint
// (golang.org/x/time/rate) that halves on each Throttling* answer and
// recovers slowly, pausing for a rate-limit hint when OMS sends one; a
// bound on requests in flight; a timeout per request; transient failures
// (timeouts, 5xx, ServiceUnavailable, InternalError, malformed answers)
// retried with exponential backoff and jitter within the poll; permanent
// ones (bad signature, unknown key, forbidden, no credentials) not
// retried, logged once, and reported by Ready until a call succeeds.
//
// Poller discovers projects (a static list and/or ListProjects with
// filters, paged to the end on its own schedule), polls them on cron
// schedules per group (robfig/cron, seconds-capable, UTC unless a zone is
// named, a running cycle never started twice, panics recovered, a fixed
// jitter per project), in two-tier mode by default: each cycle reads the
// fleet through ListProjects pages and describes only projects whose
// listed state (oms.Snapshot.StateDigest: everything but telemetry)
// changed, were never described, or were described longer ago than the
// refresh; telemetry from the list refreshes the stored view without a
// describe.
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
// got and what it watches, for metrics and readiness. Nothing here imports
// a metrics library.
//
// Replicas share the projects through leases (Options.Leases, package
// lease's Set behind the poller's own two-method Leases interface): a
// replica polls, and confirms the removal of, only the projects whose
// lease it holds, and a poll under a lease is cancelled when the lease is
// lost. Every replica discovers and lists the whole fleet; each polls only
// its own projects.
package poller
