// Package sinks will own delivery: the durable outbox on JetStream (the audit
// trail), the per-target dispatcher with its own durable consumers, and the
// sink contract implemented by sinks/natssink, sinks/slack, sinks/webhook and
// sinks/logsink. It is filled by the sinks issue; until then it holds no code.
package sinks
