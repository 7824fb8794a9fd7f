// Package omssim is an OceanBase Migration Service (OMS) simulator: an HTTP
// server that speaks OMS's real wire protocols, so omswatch's pollers and
// Alibaba Cloud's own SDKs can talk to it, and that serves projects whose
// state moves through realistic lifecycles.
//
// # Protocols
//
// Alibaba Cloud RPC style, on "/": GET or POST, parameters in the query and
// a form body (a JSON body is read too), Action and Version from the
// parameters or from the x-acs-action and x-acs-version headers. Version
// must be 2019-09-01 (else InvalidVersion); Action must be DescribeProject
// or ListProjects (else InvalidAction.NotFound). Requests must be signed
// with a configured AccessKey pair:
//
//   - V3, ACS3-HMAC-SHA256 in the Authorization header: the canonical
//     request is rebuilt from what arrived (method, path, sorted RFC 3986
//     query, the signed headers' values, x-acs-content-sha256, which must be
//     the SHA-256 of the body). host, content-type (when sent) and every
//     x-acs-* header must be signed.
//   - V1, HMAC-SHA1 in the Signature parameter, keyed with secret+"&", over
//     METHOD&%2F&encode(sorted, RFC 3986-encoded query and form parameters).
//
// Gateway errors are HTTP 4xx/5xx with {RequestId, HostId, Code, Message,
// Recommend}: MissingParameter (400), IncompleteSignature (400, a malformed
// or incomplete Authorization header), InvalidAccessKeyId.NotFound (404),
// SignatureDoesNotMatch (400; the message carries the server's string to
// sign, as Alibaba's does), IllegalTimestamp (400, more than 15 minutes
// off), SignatureNonceUsed (400, a nonce seen in the last 15 minutes; at
// most NonceCapacity nonces are remembered), InvalidParameter (400).
//
// On-premise style, on "/api/v2": POST ?Action=DescribeProject|ListProjects
// with a JSON body of camelCase parameters ({"id":"np_..."}, "pageSize",
// "status": [...]) and HTTP Basic auth. Answers are camelCase (the same
// documents respelled with oms.Respell). A bad password is HTTP 401 with
// {"success":false,"code":"UNAUTHORIZED",...} and WWW-Authenticate; a bad
// parameter is Success:false PARAM_ERROR.
//
// Business errors, in both protocols, are HTTP 200 with Success:false, Code,
// Message, Advice and an ErrorDetail{Code, Level, Message, Reason, Proposal}.
// An unknown project id is CodeProjectNotFound.
//
// ListProjects pages (PageNumber from 1, PageSize 1..150, TotalCount) and
// filters by Status, LabelIds, SourceEndpointTypes, SinkEndpointTypes (each
// a JSON array in ONE form field, e.g. Status=["RUNNING","FAILED"]; the
// RUNNING_ALARMING status matches running projects whose alarm is on),
// Type, SearchKey (a case-insensitive substring of the name or id) and
// VisibleSubProject. It sorts stably by SortField gmtCreate (default) or
// gmtModified, Order descend (default) or asc, ties by id.
// NeedRelatedInfo=true (default) returns DescribeProject's Data without
// TransferMapping; false returns only the project's own fields (id, name,
// type, status, labels, owner, importance, times, endpoint types).
//
// RequestIds are deterministic: the n-th request to a server with a given
// Seed always gets the same id. Cost is derived from the payload size, not
// measured. So the same requests against the same scenario at the same tick
// give byte-identical answers.
//
// # Scenarios
//
// A Scenario serves the projects as a function of a Moment (a tick counter
// and the elapsed time). The server's clock advances a tick every
// Options.Tick, or only by Advance when Options.ManualClock is set; Advance
// works in both modes.
//
// Generator makes N projects from a seed: ids np_ + 12 base36 characters,
// names, owners, labels, importance, MySQL, Oracle and OceanBase endpoints,
// both step-name families (PRE_CHECK/STRUCT_MIGRATION/FULL_MIGRATION/
// INCR_SYNC/... and TRANSFER_PRECHECK/STRUCT_TRANSFER/FULL_TRANSFER/
// INCR_TRANSFER/...), MIGRATION and SYNC types, and 1 to 5,000 tables. Each
// project follows a lifecycle template (see Templates): migration,
// lag-fail-recover, alarm, full-fail-resume, worker-expiry (dealt in turn),
// and suspend-resume (paused and resumed by its user; on request). State is a pure
// function of seed and tick: any tick can be served without replaying the
// ones before, and the same seed and tick give the same bytes. Simulated
// time is Epoch + tick × Step. Alarms (AlarmStats) are derived from the
// lifecycle: a failure rule while a step is FAILED, a delay rule while the
// monitored lag exceeds the Importance's threshold (HIGH 30 s, MEDIUM 120 s,
// LOW 600 s), each re-triggering every 3 ticks and counted for 12.
//
// Replay serves a recording, step by step (tick n serves each project's
// n-th observation) or by time (elapsed × Speed mapped onto the
// observations' offsets from the first one).
//
// # Recordings
//
// A recording is JSON Lines, one observation a line:
//
//	{"time": "2025-06-01T08:14:00Z", "source": "oms://cn-hangzhou",
//	 "project": "np_...", "response": { ...raw DescribeProject response... }}
//
// time is RFC 3339, source is where the project lives (an event source such
// as oms://<region> or oms+onprem://<host>; generated recordings say
// omssim://generator/<template>?seed=N), project the project id, and
// response the whole DescribeProject answer, envelope included, in either
// spelling; a Success:false answer is replayed as that error. Lines are in
// time order; several projects may be interleaved. WriteRecording writes
// one; ReadRecording reads one. testdata/recordings holds three written by
// the generator.
//
// # Faults
//
// Fault rules change how requests are answered. The grammar (FaultGrammar):
//
//	spec   = rule { "," rule }
//	rule   = kind [ "=" value ] [ "@" rate | "#" count ] [ ":" target ]
//
// for example "latency=200ms@0.3,throttle@0.2,http503#2,notfound@1:np_abc".
// Kinds: latency (delay, then answer), timeout (hold until the client gives
// up or the cap, default 30s, passes, then drop the connection without an
// answer), http500 (InternalError), http503 (ServiceUnavailable), throttle
// (HTTP 400 Throttling.User with x-ratelimit-user-api: ...,TimeLeft:<ms>),
// business (HTTP 200 Success:false with the given Code, default
// INNER_ERROR), truncated (HTTP 200, the JSON cut in half), invalid (HTTP
// 200, an HTML page), notfound (Success:false PROJECT_NOT_FOUND_ERROR;
// DescribeProject only). A rule fires with probability rate, drawn from an
// RNG seeded by Options.Seed (the same seed and request order give the same
// faults), or on exactly the next count matching requests. target limits a
// rule to one project id or one action. Rules are evaluated in order after
// authentication: latencies add up, and the first other rule that fires
// decides the answer. SetFaults replaces the rules at run time.
//
// # Control endpoint
//
// Under /_sim/, apart from the OMS paths: GET /_sim/state (tick, elapsed,
// simulated time, project count, faults), POST /_sim/advance?ticks=N,
// GET /_sim/faults and PUT /_sim/faults (the spec as the body), GET
// /_sim/projects. Clients on a loopback address need no credentials; any
// other client must send one of the Basic auth users.
//
// # What is not simulated
//
// Other actions (DescribeProjectProgress, DescribeProjectComponents, ...),
// reverse incremental steps, sub-projects, the SM3/RSA V3 variants and
// bearer tokens, RAM permissions (Forbidden.*), HTTPS, and Alibaba's
// endpoint routing by host name: any Host is accepted. An STS
// SecurityToken is signed over like any parameter or header but not
// checked.
package omssim
