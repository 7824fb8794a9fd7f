package config

import (
	"strings"
	"testing"
)

// TestSpecMeansWhatItSays: a spec cron parses but that never fires, or
// whose step is beyond its field (so it fires far less often than it
// reads), is an error; specs that fire, rarely or not, are not.
func TestSpecMeansWhatItSays(t *testing.T) {
	cases := []struct {
		spec, want string
	}{
		{"0 0 31 2 *", `"0 0 31 2 *" never fires`},
		{"0 0 30 2 *", `"0 0 30 2 *" never fires`},
		{"CRON_TZ=Asia/Shanghai 0 9 31 4,6 *", "never fires"},
		{"*/61 * * * *", `"*/61 * * * *": the step /61 in its minute field is larger than the range 0-59 it steps through, so it means minute 0 only, not every 61 minutes; use a step up to 59`},
		{"*/30 0 */25 * * *", "the step /25 in its hour field is larger than the range 0-23"},
		{"10-20/15 * * * *", "the step /15 in its minute field is larger than the range 10-20 it steps through, so it means minute 10 only"},
		{"0 0 */32 * *", "the step /32 in its day of month field"},
		{"0 0 29 2 *", ""},   // leap days
		{"0 0 31 2 1", ""},   // day of month OR day of week: Mondays
		{"*/59 * * * *", ""}, // 0 and 59
		{"5/10 * * * *", ""}, // 5, 15, ... 55
		{"0 0 1 */6 *", ""},  // January and July
		{"@every 90s", ""},   // descriptors have no fields
		{"@yearly", ""},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := Load([]byte("schedule:\n  default: '"+tc.spec+"'\noms: {mode: sim}\n"), "s.yaml")
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tc.want == "" && got != "" {
				t.Fatalf("unexpected error: %s", got)
			}
			if tc.want != "" && (!strings.HasPrefix(got, "s.yaml:2:12: schedule.default: ") || !strings.Contains(got, tc.want)) {
				t.Fatalf("error %q, want one at s.yaml:2:12 containing %q", got, tc.want)
			}
		})
	}
}
