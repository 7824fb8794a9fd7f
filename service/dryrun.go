package service

import (
	"fmt"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/natssink"
	"github.com/omswatch/omswatch/sinks/slack"
)

// DryRun renders what a target would be sent, for `rules test` and
// `replay`, with the sinks' own rendering: a NATS target's subject (tokens
// sanitised) and the CloudEvents JSON, a Slack target's message text
// (route, target or built-in template, OMS text escaped), the JSON for
// webhooks and the log. Status cards, headers and signatures are left out.
type DryRun struct {
	cfg   *config.Config
	kinds map[string]string
	slack map[string]*slack.Renderer
}

// NewDryRun renders for the targets of cfg.
func NewDryRun(cfg *config.Config) *DryRun {
	d := &DryRun{cfg: cfg, kinds: map[string]string{}, slack: map[string]*slack.Renderer{}}
	for _, t := range cfg.Targets() {
		d.kinds[t.Name] = t.Kind
	}
	return d
}

// Describe names a target with its kind and where it sends.
func (d *DryRun) Describe(target string) string {
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

// Payload renders what target receives for events of a route, one line
// per message (several for a NATS target or a webhook: one message per
// event). Slack targets render with the Slack sink's own templates.
func (d *DryRun) Payload(target, route string, events []event.Event) []string {
	switch d.kinds[target] {
	case config.KindSlack:
		return []string{d.slackText(target, route, events)}
	case config.KindNATS:
		var out []string
		for _, e := range events {
			subject, err := natssink.RenderSubject(d.cfg.NATS.Targets[target].Subject.Text, e)
			if err != nil {
				subject = "(" + err.Error() + ")"
			}
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

// slackText is what the Slack target would post for the events.
func (d *DryRun) slackText(target, route string, events []event.Event) string {
	r, ok := d.slack[target]
	if !ok {
		var err error
		var runbook func(*event.Event) string
		if rbs := runbooksOf(d.cfg); !rbs.IsZero() {
			runbook = rbs.Event
		}
		r, err = slack.NewRenderer(d.cfg.Slack.Targets[target], slackRouteTemplates(d.cfg), runbook)
		if err != nil {
			return "(template error: " + err.Error() + ")"
		}
		d.slack[target] = r
	}
	return r.Text(sinks.Notification{Target: target, Route: route, Events: events})
}

func eventJSON(e event.Event) string {
	b, err := e.JSON()
	if err != nil {
		return fmt.Sprintf("(cannot encode event: %v)", err)
	}
	return string(b)
}

// Kind is the target's kind (config.KindSlack...), "" for an unknown one.
func (d *DryRun) Kind(target string) string { return d.kinds[target] }
