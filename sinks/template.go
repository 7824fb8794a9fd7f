package sinks

import (
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
)

// TemplateData is what the sinks' Go templates see of an event:
// {{.Type}}, {{.Project.Name}}, {{.Data.step}}, {{.Severity}}. Each sink
// makes the strings in it safe for where the text goes (subject tokens,
// Slack mrkdwn) with Transform before executing a template.
type TemplateData struct {
	ID, Source, Type, Subject, Severity string
	Time                                time.Time
	Project                             event.Project
	Data                                map[string]any
	// Where is where the project lives, for people: the region of a cloud
	// source (cn-hangzhou), the host of an on-premise one.
	Where string
	// Link is the project's page in the OMS console, when the sink knows
	// it (Slack's project_url); "" otherwise.
	Link string
}

// Where is where a source's projects live, for people: oms://cn-hangzhou
// is cn-hangzhou, oms+onprem://oms.example.com:8089 oms.example.com:8089.
func Where(source string) string {
	if _, rest, ok := strings.Cut(source, "://"); ok && rest != "" {
		return rest
	}
	return source
}

// NewTemplateData copies an event into template data, passing every string
// that came from OMS (the project, data fields, subject, source) through
// clean; ID, Type and Severity are omswatch's own and kept as they are.
func NewTemplateData(e event.Event, clean func(string) string) TemplateData {
	p := e.Data.Project
	p.ID, p.Name, p.Type, p.Status = clean(p.ID), clean(p.Name), clean(p.Type), clean(p.Status)
	p.Importance, p.Owner = clean(p.Importance), clean(p.Owner)
	labels := make([]string, len(p.Labels))
	for i, l := range p.Labels {
		labels[i] = clean(l)
	}
	p.Labels = labels
	data := make(map[string]any, len(e.Data.Fields))
	for k, v := range e.Data.Fields {
		data[k] = cleanValue(v, clean)
	}
	return TemplateData{ID: e.ID, Source: clean(e.Source), Type: e.Type, Subject: clean(e.Subject),
		Severity: string(e.Severity), Time: e.Time, Project: p, Data: data, Where: clean(Where(e.Source))}
}

// cleanValue applies clean to every string inside v (lists and objects
// included).
func cleanValue(v any, clean func(string) string) any {
	switch t := v.(type) {
	case string:
		return clean(t)
	case []string:
		out := make([]string, len(t))
		for i, s := range t {
			out[i] = clean(s)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = cleanValue(x, clean)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[clean(k)] = cleanValue(x, clean)
		}
		return out
	case map[string]int:
		out := make(map[string]int, len(t))
		for k, x := range t {
			out[clean(k)] = x
		}
		return out
	}
	return v
}
