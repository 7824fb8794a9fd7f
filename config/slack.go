package config

import "github.com/omswatch/omswatch/secret"

// Slack configures the Slack targets. A target with a channel posts as the
// bot of Token (threads per project, status cards); a target with a
// webhook_url posts through that incoming webhook (no threads).
type Slack struct {
	Token     secret.String `yaml:"token"`
	APIURL    string        `yaml:"api_url"`
	RateLimit Rate          `yaml:"rate_limit"`
	// ProjectURL links a project's name in its status card: a template
	// over the event ({{.Source}}, {{.Project.ID}}).
	ProjectURL Template `yaml:"project_url"`
	// ThreadsBucket is the key-value bucket of each project's thread.
	ThreadsBucket string                 `yaml:"threads_bucket"`
	Targets       map[string]SlackTarget `yaml:"targets"`
}

// SlackTarget is one named Slack destination. Template overrides the
// message text per event type: keys are event type globs (oms.step.*) or
// "default", values Go text/templates.
type SlackTarget struct {
	Channel    string              `yaml:"channel"`
	WebhookURL secret.String       `yaml:"webhook_url"`
	Template   map[string]Template `yaml:"template"`
}

// channelPattern accepts a channel name (#oms-alerts or oms-alerts) or a
// conversation id (C0123ABCD).
var channelPattern = lazyRegexp(`^(#?[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,})$`)

func (s *Slack) validate(v *validator) {
	if s.APIURL != "" {
		v.httpURL("slack.api_url", s.APIURL)
	}
	if s.ProjectURL.Text != "" {
		v.checkTemplate("slack.project_url", s.ProjectURL)
	}
	if !bucketPattern().MatchString(s.ThreadsBucket) {
		v.errorf("slack.threads_bucket", "%q is not a bucket name; use letters, digits, '_' and '-'", s.ThreadsBucket)
	}
	for _, name := range sortedKeys(s.Targets) {
		t := s.Targets[name]
		t.validate(v, joinPath("slack.targets", name), !s.Token.IsZero())
	}
}

func (t *SlackTarget) validate(v *validator, path string, hasToken bool) {
	hook := secretPath(v, path+".webhook_url")
	switch {
	case t.Channel == "" && t.WebhookURL.IsZero():
		v.errorf(path, "needs a channel (bot mode, with slack.token) or a webhook_url (incoming webhook)")
	case t.Channel != "" && !t.WebhookURL.IsZero():
		v.errorf(hook, "an incoming webhook posts to its own channel; set channel or webhook_url, not both")
	case t.Channel != "":
		if !channelPattern().MatchString(t.Channel) {
			v.errorf(path+".channel", "%q is not a channel; want #name (lower case) or a channel id such as C0123ABCD", t.Channel)
		}
		if !hasToken {
			v.errorf(path+".channel", "posting to a channel needs a bot token: set slack.token or slack.token_file")
		}
	default:
		v.httpURL(hook, t.WebhookURL.Reveal())
	}
	for _, key := range sortedKeys(t.Template) {
		p := joinPath(path+".template", key)
		if key != "default" {
			v.checkTypeGlob(p, key)
		}
		v.checkTemplate(p, t.Template[key])
	}
}
