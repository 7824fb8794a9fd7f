// Package proctest is the harness the end-to-end tests share for driving
// omswatch as a child process: start it, signal it, wait for it, read its
// JSON log and its metrics, and the test services it talks to (the OMS
// simulator, an in-process NATS, the audit stream).
//
// It is a normal package only so that cmd/omswatch, chaos and chaos/faults
// can import one copy (test files cannot be imported across packages); it
// is used by tests only and nothing in the omswatch binary imports it.
// What is particular to one suite (its configurations, fakes, scenarios)
// stays in that suite.
package proctest
