// Package chaos is omswatch's end-to-end fault suite (issue 8, scenarios 1,
// 2, 3, 6 and 8): real `omswatch run` processes and real nats-server
// processes, built once per test run, against the OMS simulator running in
// the test process on a manual clock, a fake Slack Web API and a webhook
// receiver, all on loopback.
//
// The package holds only tests (and this file). Run it:
//
//	go test -race -count=1 ./chaos/                 # FAST: part of the normal test command, a few minutes
//	OMSWATCH_CHAOS_LONG=1 go test -count=1 -timeout 60m -v ./chaos/   # LONG: the full sizes
//	OMSWATCH_CHAOS_RACE=1 ...                        # build the omswatch child with -race as well
//
// Every scenario runs in both modes; LONG only makes them bigger (20
// projects, 200+ state transitions, 50 SIGKILLs, a 60 s NATS outage). Each
// test logs one line starting with "FIGURE" with what it measured.
//
// How the comparison stays sound: the simulator's clock moves one tick only
// once every project's stored snapshot (the snapshot bucket, read by the
// test) is the one the simulator serves at the current tick, so no state is
// skipped by any poll however the processes are killed. The events the
// scenario implies are then exactly what `omswatch replay` prints for the
// simulator's own answers at every tick (each project up to its first
// RELEASED/DELETED state, after which omswatch stops polling it); event ids
// depend only on the source, project, type and the snapshots, so the audit
// stream (OMSWATCH_EVENTS) must hold exactly those ids, each once, and
// every target must have received each of them.
package chaos
