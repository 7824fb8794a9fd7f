// Package differ turns two consecutive canonical snapshots of a project into
// the RFC 6902 JSON Patch between them and the semantic events of the event
// catalog (EVENTS.md): step status changed, error raised, alarm triggered,
// config changed... It is pure: no I/O, no context, no clock.
//
// # The patch
//
// The patch is computed by github.com/wI2L/jsondiff (default options) on the
// canonical keyed form, so one table inserted among 5,000 is one add op at
// /TransferMapping/Databases/<db>/Tables/<table>. Only the subtrees that
// differ are handed to jsondiff (oms.Delta prunes equal members by their
// canonical bytes), which gives the same patch as comparing the whole trees.
//
// # Events
//
// Events come in a fixed order within one snapshot pair: discovered, project
// status, metadata, then for each step in step order its status, progress,
// raised errors (by code and message) and cleared errors, then alarm
// triggered or cleared, worker expired, config changed and last the
// catch-all project changed. Sort orders events of many pairs by time and
// project and keeps that order within a pair.
//
// Each event's id is event.NewID(source, project id, type, key, the new
// snapshot's digest), with key "" for the types that occur at most once per
// pair, the step key for step status, progress and error_cleared, and
// "<step key>|<error identity>" for error_raised (identity: "Code|Message"
// of a detail, or "ErrorCode|ErrorMsg" of an old-style error).
//
// # Which change lands where
//
// Every patch op lands in at most one event's data.changes: the first event
// (in the order above) whose scope holds the op's path or lies under it.
// Telemetry ops (EVENTS.md) land nowhere and cause nothing. A step's error
// fields go only to that step's error_raised or error_cleared events; when
// neither happens in a pair (a detail reworded, FailedTime re-stamped, one of
// several errors gone), those ops cause no event. Alarm counts that fall
// while Alarming stays are no event either. Every other op lands in its
// specific event or in oms.project.changed.
//
// On first sight (no previous snapshot) the patch is one add of the whole
// snapshot at the root, carried by oms.project.discovered, and no other event
// is emitted: there is no change to report yet.
//
// # Redaction
//
// data.changes never carries a credential or an address: the value of any
// member whose name says password, passwd, pwd, secret, token, credential,
// access key, api key, private key, signature or authorization, and in
// SourceConnectInfo and SinkConnectInfo the Username, Host and
// ConnectionInfo values and every string in ConnExtraAttributes (endpoints,
// user names, log proxy addresses), become "****". The op stays, so the event
// still says what changed. Result.Patch itself is not redacted: it is the
// exact patch from old to new and must not be logged.
package differ
