// Package event will hold the Event type: one CloudEvents 1.0 JSON object
// (structured mode) with deterministic ids and a severity extension, the same
// bytes on NATS, Slack templates, the audit trail and `omswatch diff`. It is a
// leaf package (standard library only). It is filled by the differ issue;
// until then it holds no code.
package event
