package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/logsink"
	"github.com/omswatch/omswatch/sinks/natssink"
	"github.com/omswatch/omswatch/sinks/slack"
	"github.com/omswatch/omswatch/sinks/webhook"
)

// targetOptions are what building the targets needs beyond the config.
type targetOptions struct {
	js     jetstream.JetStream
	red    *secret.Redactor
	stdout io.Writer
	// logFormat is the log target's: json (default) or text.
	logFormat string
}

// buildTargets builds every target routes can name: the log target, then
// the NATS, Slack, webhook, Alertmanager and PagerDuty ones. Chat targets and targets with a rate
// limit are grouped (group_by, group_wait, the limit); the others send each
// event as it comes, in batches. Every problem is reported at once.
func buildTargets(ctx context.Context, cfg *config.Config, o targetOptions) ([]sinks.Target, error) {
	var out []sinks.Target
	var errs []error
	add := func(name string, s sinks.Sink, grouped bool, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		_, limited := cfg.Rules.RateLimits[name]
		out = append(out, sinks.Target{Name: name, Sink: s, Grouped: grouped || limited})
	}
	logCfg := logsink.Config{Format: o.logFormat, Text: event.Summary}
	ls, err := logsink.New(logCfg, o.stdout)
	add(config.LogTarget, ls, false, err)
	nc := o.js.Conn()
	for _, name := range slices.Sorted(maps.Keys(cfg.NATS.Targets)) {
		s, err := natssink.New(cfg.NATS.Targets[name], nc)
		add(name, s, false, err)
	}
	if len(cfg.Slack.Targets) > 0 {
		client, err := slackClient(ctx, cfg, o)
		if err != nil {
			errs = append(errs, err)
		} else {
			routes := slackRouteTemplates(cfg)
			for _, name := range slices.Sorted(maps.Keys(cfg.Slack.Targets)) {
				s, err := client.Target(name, cfg.Slack.Targets[name], routes)
				add(name, s, true, err)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Webhook.Targets)) {
		s, err := webhook.New(name, cfg.Webhook.Targets[name], o.red)
		add(name, s, false, err)
	}
	pagingTargets(cfg, o.red, add)
	return out, errors.Join(errs...)
}

// slackClient is the client the Slack targets share; threads are kept in
// a key-value bucket when a target posts as the bot.
func slackClient(ctx context.Context, cfg *config.Config, o targetOptions) (*slack.Client, error) {
	co := slack.ClientOptions{Redactor: o.red}
	if rbs := runbooksOf(cfg); !rbs.IsZero() {
		co.Runbook = rbs.Event
	}
	for _, t := range cfg.Slack.Targets {
		if t.Channel == "" {
			continue
		}
		threads, err := slack.NewKVThreads(ctx, o.js, cfg.Slack.ThreadsBucket, cfg.Store.Replicas)
		if err != nil {
			return nil, err
		}
		co.Threads = threads
		break
	}
	c, err := slack.NewClient(slackConfig(cfg), co)
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	return c, nil
}

// slackConfig is the Slack configuration with the link of a project's
// name defaulting to the OMS console when slack.project_url is not set,
// so that every message has somewhere to click.
func slackConfig(cfg *config.Config) slack.Config {
	sc := cfg.Slack
	if sc.ProjectURL.IsZero() {
		if u := cfg.OMS.ConsoleURL(); u != "" {
			// Quoted: the console URL is a literal, not a template.
			sc.ProjectURL = setting.Template{Text: `{{` + strconv.Quote(u) + `}}`, Where: "oms console"}
		}
	}
	return sc
}

// slackRouteTemplates are the Slack templates of named routes.
func slackRouteTemplates(cfg *config.Config) slack.RouteTemplates {
	out := slack.RouteTemplates{}
	for _, rt := range cfg.Rules.Routes {
		if rt.Name != "" && len(rt.Template) > 0 {
			out[rt.Name] = rt.Template
		}
	}
	return out
}
