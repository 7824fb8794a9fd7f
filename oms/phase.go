package oms

import "strings"

// Phase is the step-name-family-independent stage of a project a step
// belongs to. OMS names the same stage differently in its legacy and
// TRANSFER_*/connector pipelines (PRE_CHECK and TRANSFER_PRECHECK); rules,
// templates and events speak in phases.
type Phase string

// The phases, in roughly the order a project goes through them.
const (
	PhasePrecheck    Phase = "precheck"
	PhasePrepare     Phase = "prepare"
	PhaseSchema      Phase = "schema"
	PhaseIncrLogPull Phase = "incr_log_pull"
	PhaseFull        Phase = "full"
	PhaseIndex       Phase = "index"
	PhaseIncr        Phase = "incr"
	PhaseFullVerify  Phase = "full_verify"
	PhaseIncrVerify  Phase = "incr_verify"
	PhaseSwitchover  Phase = "switchover"
	PhaseReverseIncr Phase = "reverse_incr"
	// PhaseOther is any step name OMS does not document.
	PhaseOther Phase = "other"
)

// Phases returns every phase, PhaseOther last.
func Phases() []Phase {
	return []Phase{PhasePrecheck, PhasePrepare, PhaseSchema, PhaseIncrLogPull, PhaseFull,
		PhaseIndex, PhaseIncr, PhaseFullVerify, PhaseIncrVerify, PhaseSwitchover,
		PhaseReverseIncr, PhaseOther}
}

// StepKey normalises a step name into the key of the canonical Steps object:
// trimmed, upper-cased, '-' and spaces as '_'. PRE-CHECK, pre_check and
// PRE_CHECK all give PRE_CHECK.
func StepKey(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return '_'
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(name)))
}

// PhaseOf maps a step name of either family, in any case and with hyphens
// or underscores, onto its phase; unknown names give PhaseOther.
func PhaseOf(stepName string) Phase {
	switch StepKey(stepName) {
	case "PRE_CHECK", "TRANSFER_PRECHECK", "PRECHECK", "TRANSFER_PRE_CHECK":
		return PhasePrecheck
	case "PREPARE", "SYNC_PREPARE", "TRANSFER_PREPARE":
		return PhasePrepare
	case "STRUCT_MIGRATION", "STRUCT_TRANSFER", "STRUCT_SYNC":
		return PhaseSchema
	case "INCR_LOG_PULL", "TRANSFER_INCR_LOG_PULL", "SYNC_INCR_LOG_PULL":
		return PhaseIncrLogPull
	case "FULL_MIGRATION", "FULL_TRANSFER", "CONNECTOR_FULL_SYNC", "FULL_SYNC":
		return PhaseFull
	case "INDEX_MIGRATION", "INDEX_TRANSFER":
		return PhaseIndex
	case "INCR_SYNC", "INCR_TRANSFER", "CONNECTOR_INCR_SYNC":
		return PhaseIncr
	case "FULL_VALIDATION", "FULL_VERIFIER", "FULL_VERIFY":
		return PhaseFullVerify
	case "INCR_VERIFIER", "INCR_VALIDATION", "INCR_VERIFY":
		return PhaseIncrVerify
	case "APP_SWITCH", "TRANSFER_APP_SWITCH":
		return PhaseSwitchover
	case "REVERSE_INCR_SYNC", "REVERSE_INCR_TRANSFER":
		return PhaseReverseIncr
	}
	return PhaseOther
}
