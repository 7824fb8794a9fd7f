package console

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
)

func (c *Console) funcs() template.FuncMap {
	return template.FuncMap{
		"rel":     func(t time.Time) string { return relative(t, c.o.Now()) },
		"utc":     func(t time.Time) string { return utc(t) },
		"human":   human,
		"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"lower":   strings.ToLower,
		"what":    what,
		"plural":  func(n int, one, many string) string { return map[bool]string{true: one, false: many}[n == 1] },
		"add":     func(a, b int) int { return a + b },
		"mul26":   func(n int) int { return 26 * n },
		"plus520": func(x float64) float64 { return x + 520 },
		"plus10":  func(n int) int { return n + 10 },
		"plus12":  func(n int) int { return n + 12 },
	}
}

func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// relative says how long ago t was, in the unit a glance needs.
func relative(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// human writes a duration the way a DBA reads a lag: 45s, 12m30s, 3h05m, 2d4h.
func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours()/24), int(d.Hours())%24)
}

// what says what an event says happened: the catalog's phrase, or for a
// console action who did what.
func what(e event.Event) string {
	if s, ok := event.Describe(e.Type); ok && s.What != nil {
		return s.What(e.Data)
	}
	if strings.HasPrefix(e.Type, AuditTypePrefix) {
		return fmt.Sprintf("%s by %s: silence %s (%s) until %s %s", strings.TrimPrefix(e.Type, AuditTypePrefix),
			e.Data.Text("user"), e.Data.Text("silence"), e.Data.Text("matchers"), e.Data.Text("ends_at"), e.Data.Text("comment"))
	}
	return ""
}
