// Package sinks owns delivery: the durable outbox on JetStream (which is
// also the audit trail), the per-target dispatcher reading it through one
// durable consumer per target, and the Sink contract that sinks/natssink,
// sinks/slack, sinks/webhook and sinks/logsink implement.
//
// The way an event travels:
//
//  1. Outbox.Publish stores the event in the audit stream, subject
//     omswatch.events.<source>.<project>.<type>, with Nats-Msg-Id = the
//     event id, and with the targets the rules chose for it in headers.
//     Only after every publish is acknowledged does the caller save the
//     project's snapshot, so a crash loses nothing; a change seen again
//     after a crash gets the same ids and JetStream stores it once (within
//     the stream's duplicate window).
//  2. Dispatcher runs one worker per target, each on its own durable
//     consumer of the stream. A worker takes the messages addressed to its
//     target, groups them (a Grouping for chat targets and rate-limited
//     ones: group_by, group_wait and the rate limit, on the caller's clock
//     so that replay runs it on recorded time; plain batches for machine
//     targets), hands each notification
//     to the target's Sink, and acknowledges the messages only after the
//     Sink said the downstream accepted them. Messages held in a group are
//     kept alive with in-progress acknowledgements, so a crash while they
//     wait redelivers them instead of losing them.
//  3. A Send that fails is retried with backoff; one that fails with a
//     Permanent error, or MaxAttempts times, is published to the dead-letter
//     stream (omswatch.deadletter.<target>) with the reason, then
//     acknowledged. A target that is down holds its own backlog only.
//
// An Observer (DispatcherOptions.Observer) hears of every delivery, retry
// and dead letter by target, and Outbox.Backlog reads what a target has
// not finished, so the service can serve per-target metrics without this
// package importing a metrics library.
//
// Delivery begins where the rules end: the service maps each of the rules'
// decisions onto an Entry's Deliveries once, when it publishes; from there
// on everything is this package's (grouping, group_wait, rate limits,
// retries, dead letters). sinks imports event, secret and nats.go only.
package sinks
