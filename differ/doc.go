// Package differ will turn two consecutive canonical snapshots of a project
// into the RFC 6902 JSON Patch between them and the semantic events of the
// event catalog (step status changed, error raised, alarm triggered...). It
// is pure: no I/O, no context. It is filled by the differ issue; until then
// it holds no code.
package differ
