// Package rules decides what omswatch tells whom. It is pure: it reads
// events, snapshots, the time and the state it is given, and returns what
// to send and its next state; it sends and stores nothing (the caller saves
// State through a StateStore such as rules/kvstate, after publishing).
//
// New compiles a Config once, like notifications-engine's triggers: every
// matcher pattern, every expr-lang expression (type-checked against Env, so
// a typo is an error at the file, line and column it was written) and an
// index over the routes. Then, per poll of a project, Engine.Evaluate:
//
//   - evaluates the level conditions on the new snapshot (Prometheus
//     alerting rules: pending for `for`, firing, kept for keep_firing_for,
//     reminded every repeat_interval) and adds oms.condition.firing and
//     oms.condition.resolved to the differ's events. A condition's while
//     says when it applies: outside it nothing is measured, and a firing
//     condition resolves with reason not_applicable rather than recovered;
//     resolutions are info;
//   - mutes events a Silence matches, or an inhibition whose source holds
//     for the project (a condition firing, an expression over the project);
//     a resolution is muted when its firing was;
//   - routes each event (Router, alertmanager's dispatch/route.go order:
//     the first matching route takes it, later ones too while continue;
//     drop discards; no route means default_to) and applies once_per;
//   - returns one Delivery per event and target, and why an event is
//     muted (a silence, an inhibition, its firing's muting).
//
// A poll without a new snapshot (a failed poll, a confirmed removal) goes
// through Evaluate too: no condition is evaluated, but silences,
// inhibitions and routes decide its events, and a removal resolves the
// project's firing conditions and ends its State. The rules end where
// delivery begins: grouping, group_wait and rate limits are the sinks'.
//
// Patterns in matchers are globs (* any run of characters, ? one, [a-z] a
// class) or, after ~, RE2 regular expressions, anchored by their author.
// Event types are globs over the event catalog.
package rules
