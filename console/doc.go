// Package console is the web console `omswatch run` serves on http.listen:
// the fleet at a glance (/), each project's steps, lag chart, timeline and
// snapshot (/projects/{id}), silences (/silences) and incidents
// (/incidents), with new events pushed live over server-sent events.
//
// It holds no state of its own that is not derived: the fleet is an index
// of the snapshot store (fed by the service through Fleet.Update), the
// timeline is the audit trail, silences are the silence bucket. It reads
// them through small interfaces declared here (History, Silences,
// Snapshots) that the service implements, and imports neither NATS nor the
// poller. Pages are html/template (OMS text is untrusted and escaped), the
// assets are embedded, and every page reads without JavaScript.
package console
