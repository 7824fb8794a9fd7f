package oms

import "testing"

func TestPhaseOf(t *testing.T) {
	// Every step name of oms-describeproject.md §4.3, the JAVA extras and
	// the lower-case legacy names.
	cases := map[string]Phase{
		"PRE_CHECK": PhasePrecheck, "TRANSFER_PRECHECK": PhasePrecheck,
		"PREPARE": PhasePrepare, "SYNC_PREPARE": PhasePrepare, "TRANSFER_PREPARE": PhasePrepare,
		"STRUCT_TRANSFER": PhaseSchema, "STRUCT_MIGRATION": PhaseSchema, "STRUCT_SYNC": PhaseSchema,
		"INDEX_MIGRATION": PhaseIndex, "INDEX_TRANSFER": PhaseIndex,
		"FULL_MIGRATION": PhaseFull, "FULL_TRANSFER": PhaseFull, "CONNECTOR_FULL_SYNC": PhaseFull,
		"APP_SWITCH": PhaseSwitchover, "TRANSFER_APP_SWITCH": PhaseSwitchover,
		"REVERSE_INCR_SYNC": PhaseReverseIncr, "REVERSE_INCR_TRANSFER": PhaseReverseIncr,
		"FULL_VALIDATION": PhaseFullVerify, "FULL_VERIFIER": PhaseFullVerify,
		"INCR_LOG_PULL": PhaseIncrLogPull, "TRANSFER_INCR_LOG_PULL": PhaseIncrLogPull,
		"SYNC_INCR_LOG_PULL": PhaseIncrLogPull,
		"INCR_SYNC":          PhaseIncr, "INCR_TRANSFER": PhaseIncr, "CONNECTOR_INCR_SYNC": PhaseIncr,
		"INCR_VERIFIER": PhaseIncrVerify, "INCR_VALIDATION": PhaseIncrVerify,
		// legacy lower case (JAVA DescribeOmsOpenAPIProject)
		"struct_migration": PhaseSchema, "full_migration": PhaseFull, "full_validation": PhaseFullVerify,
		"incr_log_pull": PhaseIncrLogPull, "incr_sync": PhaseIncr, "incr_validation": PhaseIncrVerify,
		// hyphens, mixed case, white space (RunningStep says "PRE-CHECK")
		"PRE-CHECK": PhasePrecheck, "pre-check": PhasePrecheck, " Pre_Check\n": PhasePrecheck,
		"INCR-TRANSFER": PhaseIncr, "Transfer-App-Switch": PhaseSwitchover, "full-verifier": PhaseFullVerify,
		// unknown
		"": PhaseOther, "SOMETHING_NEW": PhaseOther, "PRE_CHECKS": PhaseOther,
	}
	for name, want := range cases {
		if got := PhaseOf(name); got != want {
			t.Errorf("PhaseOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestStepKey(t *testing.T) {
	cases := map[string]string{
		"PRE-CHECK": "PRE_CHECK", "pre_check": "PRE_CHECK", "PRE_CHECK": "PRE_CHECK",
		" incr-transfer\t": "INCR_TRANSFER", "": "",
	}
	for in, want := range cases {
		if got := StepKey(in); got != want {
			t.Errorf("StepKey(%q) = %q, want %q", in, got, want)
		}
		if got := StepKey(StepKey(in)); got != StepKey(in) {
			t.Errorf("StepKey is not idempotent on %q", in)
		}
	}
}

func TestPhasesAreDistinct(t *testing.T) {
	seen := map[Phase]bool{}
	for _, p := range Phases() {
		if seen[p] {
			t.Errorf("phase %q listed twice", p)
		}
		seen[p] = true
	}
	if len(seen) != 12 || !seen[PhaseOther] {
		t.Errorf("Phases() = %v, want the 11 phases and other", Phases())
	}
}
