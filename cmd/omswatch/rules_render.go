package main

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/rules"
)

// dryRun renders what a target would be sent, for `rules test` and
// `replay`. It is an approximation of the sinks (which own the real Slack
// blocks, NATS headers and webhook signatures): NATS targets get their
// subject template and the CloudEvents JSON, Slack targets their text
// template or the default summary, webhooks and the log the JSON.
type dryRun struct {
	cfg   *config.Config
	kinds map[string]string
}

func newDryRun(cfg *config.Config) *dryRun {
	d := &dryRun{cfg: cfg, kinds: map[string]string{}}
	for _, t := range cfg.Targets() {
		d.kinds[t.Name] = t.Kind
	}
	return d
}

// describe names a target with its kind and where it sends.
func (d *dryRun) describe(target string) string {
	switch d.kinds[target] {
	case config.KindSlack:
		if ch := d.cfg.Slack.Targets[target].Channel; ch != "" {
			return target + " (slack " + ch + ")"
		}
		return target + " (slack webhook)"
	case config.KindNATS:
		if d.cfg.NATS.Targets[target].JetStream {
			return target + " (nats jetstream)"
		}
		return target + " (nats)"
	case "":
		return target + " (unknown target)"
	}
	return target + " (" + d.kinds[target] + ")"
}

// payload renders what target receives for events, one line per message
// (several for a NATS target or a webhook: one message per event).
func (d *dryRun) payload(target string, events []event.Event) []string {
	switch d.kinds[target] {
	case config.KindSlack:
		var lines []string
		for _, e := range events {
			lines = append(lines, d.slackText(target, e))
		}
		return []string{strings.Join(lines, "\n")}
	case config.KindNATS:
		var out []string
		for _, e := range events {
			subject := execTemplate(d.cfg.NATS.Targets[target].Subject.Text, e)
			out = append(out, "subject "+subject+" "+eventJSON(e))
		}
		return out
	case config.KindWebhook:
		var out []string
		for _, e := range events {
			out = append(out, "POST "+eventJSON(e))
		}
		return out
	}
	var out []string
	for _, e := range events {
		out = append(out, eventJSON(e))
	}
	return out
}

// slackText uses the target's template for the event's type (the first
// matching glob in name order, else default), else the default summary.
func (d *dryRun) slackText(target string, e event.Event) string {
	tmpls := d.cfg.Slack.Targets[target].Template
	keys := make([]string, 0, len(tmpls))
	for k := range tmpls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if ok, _ := path.Match(k, e.Type); ok && k != "default" {
			return execTemplate(tmpls[k].Text, e)
		}
	}
	if t, ok := tmpls["default"]; ok {
		return execTemplate(t.Text, e)
	}
	return rules.Summary(e)
}

// templateData is what target templates see: {{.Type}}, {{.Project.Name}},
// {{.Data.step}}.
type templateData struct {
	ID, Source, Type, Subject, Severity string
	Time                                time.Time
	Project                             event.Project
	Data                                map[string]any
}

func execTemplate(text string, e event.Event) string {
	t, err := template.New("dry-run").Parse(text)
	if err != nil {
		return "(template error: " + err.Error() + ")"
	}
	var b strings.Builder
	err = t.Execute(&b, templateData{ID: e.ID, Source: e.Source, Type: e.Type, Subject: e.Subject,
		Severity: string(e.Severity), Time: e.Time, Project: e.Data.Project, Data: e.Data.Fields})
	if err != nil {
		return "(template error: " + err.Error() + ")"
	}
	return b.String()
}

func eventJSON(e event.Event) string {
	b, err := e.JSON()
	if err != nil {
		return fmt.Sprintf("(cannot encode event: %v)", err)
	}
	return string(b)
}
