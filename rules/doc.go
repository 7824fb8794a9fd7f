// Package rules will own the routing of events to targets: ordered routes
// with matchers and expr conditions, level conditions held for a duration,
// grouping, throttling, silences and inhibitions. Evaluation is pure and
// sends nothing. It is filled by the rules issue; until then it holds no code.
package rules
