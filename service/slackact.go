package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/console"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/sinks/slack"
)

// SlackSource is the source of the audit events of what users did with
// the Slack buttons (a silence; an acknowledgement is the incident's own
// event, as from `omswatch incident ack`).
const SlackSource = "omswatch://slack"

// slackActions is what the buttons of an incident's Slack message do, on
// the same paths as the CLI: an acknowledgement is `omswatch incident
// ack` (a compare-and-set on the incident's record in the bucket, so it
// works whichever replica owns the project, and its event in the audit
// trail with the targets the rules choose: the Slack target edits the
// parent when it gets it); a silence is `omswatch silence add
// project=ID`, recorded in the audit trail as the console records one.
type slackActions struct {
	js  jetstream.JetStream
	cfg func() *config.Config // the configuration in force
	now func() time.Time
}

func (a slackActions) Acknowledge(ctx context.Context, id, by, comment string) (string, error) {
	cfg := a.cfg()
	store, err := incident.OpenKVStore(ctx, a.js, cfg.Incidents.Bucket)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	r := IncidentRequest{Action: "ack", ID: id, By: by, Comment: comment, Now: a.now()}
	if err := changeIncident(ctx, cfg, a.js, store, r, &out); err != nil {
		return "", fmt.Errorf("acknowledge incident %s: %w", id, err)
	}
	return strings.TrimSpace(out.String()), nil
}

func (a slackActions) Silence(ctx context.Context, project string, d time.Duration, by, comment string) (string, error) {
	cfg := a.cfg()
	now := a.now().UTC()
	sil, err := rules.NewSilence([]string{"project=" + project}, now, now.Add(d), by, comment)
	if err != nil {
		return "", fmt.Errorf("silence project %s: %w", project, err)
	}
	store, err := kvstate.NewSilences(ctx, a.js, kvstate.Options{Bucket: cfg.Rules.SilenceBucket, Replicas: cfg.Store.Replicas})
	if err != nil {
		return "", err
	}
	if err := store.Put(ctx, sil); err != nil {
		return "", fmt.Errorf("silence project %s: %w", project, err)
	}
	typ := console.AuditTypePrefix + "silence_created"
	e := event.Event{ID: event.NewID(SlackSource, project, typ, sil.ID, now.Format(time.RFC3339Nano)),
		Source: SlackSource, Type: typ, Subject: project, Time: now, Severity: event.Info,
		Data: event.Data{Project: event.Project{ID: project}, Fields: map[string]any{
			"user": by, "silence": sil.ID, "matchers": "project=" + project,
			"ends_at": sil.EndsAt.Format(time.RFC3339), "comment": comment}}}
	msg := fmt.Sprintf("project %s silenced by %s until %s (silence %s)", project, by, sil.EndsAt.Format("2006-01-02 15:04 UTC"), sil.ID)
	if err := (auditTrail{js: a.js, cfg: cfg}).Record(ctx, e); err != nil {
		// The silence is stored and in force; only its record is missing.
		return msg, fmt.Errorf("%s, but it is not in the audit trail: %w", msg, err)
	}
	return msg, nil
}

// openSlackInteractions builds the handler of the Slack app's
// interactions, for the process: over HTTP when slack.signing_secret is
// set (it is checked with the secret at start), over Socket Mode while
// the configuration in force has slack.app_token (syncSlackSocket); now
// is the time of an action.
func (s *Service) openSlackInteractions(cfg *config.Config, now func() time.Time) (*slack.Interactions, error) {
	acts := s.actions(cfg)
	acts.now = now
	return slack.NewInteractions(slack.InteractionOptions{SigningSecret: cfg.Slack.SigningSecret.Reveal(),
		Actions: acts, Logger: s.root})
}

// actions acts on incidents and silences as the CLI does, with the
// configuration in force (cfg until the service has one).
func (s *Service) actions(cfg *config.Config) slackActions {
	return slackActions{js: s.js, now: time.Now, cfg: func() *config.Config {
		if g := s.current(); g != nil {
			return g.cfg
		}
		return cfg
	}}
}
