// Package faults is the fault part of omswatch's chaos suite (issue 8,
// scenarios 4, 5 and 7): Slack faults, OMS faults and bad input, each run
// end to end against the omswatch binary as a child process, with an
// in-process OMS simulator, NATS server and fake Slack on loopback.
//
// It is tests only. The fast mode runs with every other test:
//
//	go test -race -count=1 ./chaos/faults/
//
// and the long mode, with the full figures (a 2-minute Slack
// outage, 10 minutes of scenario time under OMS faults, 20 projects):
//
//	OMSWATCH_CHAOS_LONG=1 go test -count=1 -timeout 60m -v ./chaos/faults/
//
// Each test logs its measured figures in one line starting "FIGURE"
// (grep FIGURE in the -v output).
package faults
