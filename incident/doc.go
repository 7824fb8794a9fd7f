// Package incident turns a project's events into incidents: one lifecycle
// per problem (a condition that fires, a step or the project that FAILED,
// a step's errors, failing polls), keyed by project and cause, that opens,
// gathers the events that belong to it, is acknowledged, and resolves when
// its cause has stayed away for resolve_hold polls, so a flapping step is
// one incident and not ten. Track is pure (the pipeline calls it once per
// poll of a project, under that project's poll and lease, so one replica
// owns a project's incidents); KVStore keeps them in JetStream KV.
// Incidents are events themselves: oms.incident.opened, updated,
// acknowledged and resolved. Summarize makes the fleet digest (the
// oms.watch.digest event's data) from the fleet's snapshots and the
// incidents the bucket keeps.
package incident
