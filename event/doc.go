// Package event holds the Event type: one CloudEvents 1.0 JSON object in
// structured mode, with a deterministic id and a severity extension. The same
// bytes travel to NATS, Slack templates, webhooks, the audit trail and
// `omswatch diff`, so this package owns the one marshalling of an event.
//
// It is a leaf: it imports the standard library only, so every stage
// (differ, rules, sinks, poller) can share the type without importing each
// other.
package event
