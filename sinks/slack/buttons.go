package slack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/omswatch/omswatch/event"
)

// incidentButtons are the actions of an incident's parent message, as e
// (its latest event) stands: Acknowledge while it fires, Silence this
// project 1 h / 4 h until it resolves (with the app's interactions: a
// signing secret or an app token), and Open console to the project's page in the omswatch
// console when its address is known. nil when there are none.
func (c *Client) incidentButtons(e event.Event) slack.Block {
	state := e.Data.Text("state")
	var els []slack.BlockElement
	if c.cfg.Interactive() && state != "resolved" {
		plain := func(s string) *slack.TextBlockObject {
			return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
		}
		if state != "acknowledged" {
			b := slack.NewButtonBlockElement(ActionAck, e.Data.Text("incident"), plain("Acknowledge"))
			b.Style = slack.StylePrimary
			els = append(els, b)
		}
		els = append(els,
			slack.NewButtonBlockElement(ActionSilence1h, e.Subject, plain("Silence this project 1 h")),
			slack.NewButtonBlockElement(ActionSilence4h, e.Subject, plain("Silence this project 4 h")))
	}
	if c.cfg.ConsoleURL != "" {
		u := strings.TrimSuffix(c.cfg.ConsoleURL, "/") + "/projects/" + url.PathEscape(e.Subject)
		b := slack.NewButtonBlockElement(ActionConsole, e.Subject,
			slack.NewTextBlockObject(slack.PlainTextType, "Open console", false, false))
		els = append(els, b.WithURL(u))
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewActionBlock("omswatch_incident", els...)
}

// withButtons adds the actions block (nil: none) to an incident's card.
func (cd incidentCard) withButtons(b slack.Block) incidentCard {
	if b == nil {
		return cd
	}
	cd.att.Blocks.BlockSet = append(cd.att.Blocks.BlockSet, b)
	raw, _ := json.Marshal(cd.att) // blocks of text objects and buttons always marshal
	sum := sha256.Sum256(append(raw, cd.text...))
	cd.hash = hex.EncodeToString(sum[:12])
	return cd
}
