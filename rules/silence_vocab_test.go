package rules

import (
	"strings"
	"testing"
)

// TestParseMatchersVocabulary: values of attributes with a closed
// vocabulary are checked whatever the operator; free-form ones are not.
func TestParseMatchersVocabulary(t *testing.T) {
	cases := []struct {
		matcher, want string
	}{
		{"severity=critical", ""},
		{"severity!=critical", ""},
		{"severity=~^(warning|critical)$", ""},
		{"severity=crit*", ""},
		{"importance=HIGH", ""},
		{"phase=incr", ""},
		{"type=oms.step.*", ""},
		{"project=np_anything", ""},
		{"rule=whatever_*", ""},
		{"severity=critcal", `matcher "severity=critcal": "critcal" is not a severity; want info, warning or critical (did you mean "critical"?)`},
		{"severity!=critcal", `"critcal" is not a severity`},
		{"severity=page*", `matcher "severity=page*": "page*" matches no severity; want info, warning or critical`},
		{"importance=high", `"high" is not an importance; want HIGH, MEDIUM, LOW or IGNORE (did you mean "HIGH"?)`},
		{"phase!~^full_verfy$", `"^full_verfy$" matches no phase`},
		{"type=oms.stpe.*", `matcher "type=oms.stpe.*": "oms.stpe.*" matches no event type`},
	}
	for _, tc := range cases {
		t.Run(tc.matcher, func(t *testing.T) {
			_, err := ParseMatchers([]string{tc.matcher})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
