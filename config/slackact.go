package config

// validateSlackInteractions checks what the Slack buttons need across
// sections: the interactions are served on run's HTTP listener.
func (c *Config) validateSlackInteractions(v *validator) {
	if !c.Slack.SigningSecret.IsZero() && c.HTTP.Listen == "" {
		v.errorf("slack.signing_secret", "the Slack buttons are served on run's HTTP listener (POST /slack/interactions): set http.listen, or remove the signing secret")
	}
}
