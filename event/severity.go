package event

import (
	"encoding/json"
	"fmt"
)

// Severity is the CloudEvents extension attribute "severity". The zero value
// is not a severity; events always carry one of the three below.
type Severity string

// Severities, least to most urgent.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// ParseSeverity accepts "info", "warning" or "critical".
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case Info, Warning, Critical:
		return Severity(s), nil
	}
	return "", fmt.Errorf("severity %q: want info, warning or critical", s)
}

// Rank orders severities: info 1, warning 2, critical 3, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case Info:
		return 1
	case Warning:
		return 2
	case Critical:
		return 3
	}
	return 0
}

// AtLeast reports whether s is as urgent as min or more.
func (s Severity) AtLeast(min Severity) bool { return s.Rank() >= min.Rank() && s.Rank() > 0 }

// UnmarshalJSON rejects values outside the three severities, so an event
// read back from the audit trail or a file is valid or an error.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("severity: %w", err)
	}
	v, err := ParseSeverity(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}
