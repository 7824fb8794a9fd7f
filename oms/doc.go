// Package oms is the OceanBase Migration Service domain: it turns the bytes
// of an OMS API response into values and does no I/O of its own.
//
// DecodeEnvelope reads the response envelope of any action in either
// spelling (Alibaba Cloud PascalCase or on-premise camelCase) and classifies
// failures as *APIError or *MalformedError. ParseSnapshot and Canonicalize
// turn a DescribeProject payload into a canonical Snapshot: one spelling,
// trimmed strings, no nulls, identified arrays keyed by identity, so that the
// same project state always gives the same bytes and the same digest.
// ParseSnapshotReusing gives the same snapshot as ParseSnapshot, decoding
// only what changed since the previous snapshot of the project: the parts of
// the response whose bytes it saw before take their canonical form from it.
// Project is a typed, read-only view of a snapshot for rules and templates,
// and PhaseOf maps both step-name families onto one phase vocabulary.
package oms
