package event

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Summary is the one line of text every command prints for an event (the
// log target's text format, `diff --format text`, `history`, `replay`,
// `rules test`): time (RFC 3339, UTC), severity, type, the project's name
// and id, and what
// happened in the words of the type's catalog entry. One function, so the
// same event reads the same wherever it is shown.
func Summary(e Event) string {
	p := e.Data.Project
	id := e.Subject
	if id == "" {
		id = p.ID
	}
	who := id
	if name := oneLine(p.Name); name != "" {
		who = name + " (" + id + ")"
	}
	line := fmt.Sprintf("%s %-8s %s %s", e.Time.UTC().Format(time.RFC3339), e.Severity, e.Type, who)
	if s := spec(e.Type); s != nil {
		line += ": " + s.What(e.Data)
	}
	return line
}

// Text writes a data field for a line of text: lists as "a, b", objects as
// "k=v" in key order, null or absent as "", white space (an OMS message's
// newlines) collapsed so the line stays one line.
func (d Data) Text(key string) string { return valueText(d.Fields[key]) }

// problems writes oms.project.discovered's problems for a line of text:
// each problem's text (the whole value for one that has none), "; "
// between them, since an OMS message may hold commas.
func (d Data) problems() string {
	list, ok := d.Fields["problems"].([]any)
	if !ok {
		return valueText(d.Fields["problems"])
	}
	parts := make([]string, 0, len(list))
	for _, p := range list {
		if m, ok := p.(map[string]any); ok && m["text"] != nil {
			p = m["text"]
		}
		parts = append(parts, valueText(p))
	}
	return strings.Join(parts, "; ")
}

func valueText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return oneLine(t)
	case []string:
		return joinText(len(t), func(i int) string { return oneLine(t[i]) })
	case []any:
		return joinText(len(t), func(i int) string { return valueText(t[i]) })
	case map[string]any:
		keys := slices.Sorted(maps.Keys(t))
		return joinText(len(keys), func(i int) string { return keys[i] + "=" + valueText(t[keys[i]]) })
	}
	return oneLine(fmt.Sprint(v))
}

func joinText(n int, item func(int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = item(i)
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// AlarmRule names an OMS alarm rule in words: oms_sync_delay is "sync
// delay". OMS does not document its rule keys; they read as words once
// the product prefix and the underscores go.
func AlarmRule(key string) string {
	k := strings.TrimPrefix(strings.TrimPrefix(key, "oms_"), "OMS_")
	return strings.ReplaceAll(strings.ToLower(k), "_", " ")
}

// RecentAlarms is an alarm's RecentlyTriggerCount in words: "1 recent
// alarm", "3 recent alarms".
func RecentAlarms(count any) string {
	n := valueText(count)
	if n == "1" {
		return "1 recent alarm"
	}
	return n + " recent alarms"
}

// AlarmRules writes an alarm's rules, {rule key: increase}, in words:
// "migration failed (1 new), sync delay (2 new)".
func AlarmRules(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		if mi, ok := v.(map[string]int); ok {
			m = map[string]any{}
			for k, x := range mi {
				m[k] = x
			}
		}
	}
	keys := slices.Sorted(maps.Keys(m))
	return joinText(len(keys), func(i int) string { return AlarmRule(keys[i]) + " (" + valueText(m[keys[i]]) + " new)" })
}
