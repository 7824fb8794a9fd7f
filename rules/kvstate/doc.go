// Package kvstate keeps the rules engine's state in NATS JetStream
// key-value buckets, so that every replica sees it and a restart keeps it:
// Store holds each project's rules.State (conditions pending or firing,
// once_per keys) and Silences holds the silences `omswatch silence` manages.
// The rules package itself stays pure; this is where its I/O lives.
package kvstate
