// Package config is the shape of omswatch's configuration file: strict YAML
// decoding, defaults, every error at once with its position, and the checks
// across sections (a route's targets exist, a dedup window fits the
// retention). It builds nothing: cmd/omswatch turns a Config into components.
//
// # Sections
//
// oms (which OMS and how to reach it; absent = the built-in simulator),
// discovery (static ids and/or ListProjects filters, two-tier polling),
// schedule (cron specs per project group, time zone, jitter), store (the
// embedded server's directory, the snapshot bucket, dedup and retention of
// the audit trail), ha (replicas sharing the projects through leases),
// nats (embedded or external server, auth, NATS targets),
// slack and webhook (their targets), rules (routes, conditions, grouping,
// included rule files), http (metrics and health) and log. Each section is
// a struct in its own file with its own validate method; defaults.go holds
// every default, and example.yaml shows every key with its default.
//
// # Strictness and positions
//
// The file is parsed into a yaml.Node tree and decoded by this package, not
// by yaml.v3's Decode, so that every problem is collected rather than the
// first, and each carries FILE:LINE:COLUMN: unknown keys (with the allowed
// keys and a "did you mean"), duplicate keys, wrong types, values out of
// range, syntax errors (yaml.v3 gives a line; the column is found in the
// text). While decoding, the position of every value and key is recorded by
// its YAML path ("rules.routes[2].to[0]"); the semantic checks, which run on
// the typed values afterwards, look their path up to report where the
// offending value was written, or where its section is when the value is a
// default. Errors are returned as Errors, sorted by file and position.
// Config.Position does the same lookup for components built from the
// configuration; Route.Pos, Condition.Pos, Expr.Pos and Template.Pos say
// where rules were written, in whichever file.
//
// # Values
//
//   - ${VAR} and ${VAR:-default} are expanded in every scalar except rule
//     expressions and templates; an unset VAR is an error; $$ is a literal $.
//   - Every secret (a secret.String, printed as ****) also has a key_file
//     form read from a file, trailing newline trimmed; setting both is an
//     error, and an empty value counts as not set.
//   - Files the configuration reads (secret files, TLS files, NATS creds,
//     included rule files) are relative to the configuration file's
//     directory and must be readable regular files.
//   - A key with no value (null) keeps its default; a list given replaces
//     the default list. Durations take d and w; sizes take KiB..TiB and
//     KB..TB; rates are N/s, N/m or N/h.
//   - Top-level keys starting with x- are ignored, as a place for anchors.
package config

// schema.json and rules.schema.json are generated from the types by a test
// (schemagen_test.go); TestSchemaIsUpToDate fails when they are stale.
//go:generate go test -run ^TestSchemaIsUpToDate$ -update .
