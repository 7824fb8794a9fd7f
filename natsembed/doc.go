// Package natsembed is omswatch's NATS: the embedded server it starts when
// no URL is configured (JetStream persisted under a directory, listening on
// loopback so downstream consumers can connect), and the client connection
// to it or to an external server or cluster (creds file, nkey,
// user/password, token, TLS). The poller's snapshot store, the sinks'
// outbox and the tests all connect through it.
package natsembed
