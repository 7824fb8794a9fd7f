package slack

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// digestLines bounds each section of a digest message: a section's text
// may not exceed 3,000 characters, and a person reads ten lines.
const digestLines = 10

// splitDigests takes the oms.watch.digest events out of events: each is
// a message of its own, never a thread reply.
func splitDigests(events []event.Event) (digests, rest []event.Event) {
	for _, e := range events {
		if e.Type == event.TypeWatchDigest {
			digests = append(digests, e)
		} else {
			rest = append(rest, e)
		}
	}
	return digests, rest
}

// sendDigest posts a digest as one Block Kit message: to the channel (a
// message of its own, no thread), or through the incoming webhook.
func (s *Sink) sendDigest(ctx context.Context, n *sinks.Notification, e event.Event) error {
	key := s.name + "|digest|" + e.ID
	if s.c.wasSent(key) {
		return nil
	}
	d, err := event.DigestOf(e.Data)
	if err != nil {
		return sinks.Permanent(err)
	}
	blocks, text := digestMessage(d, e.Time, s.c.projectLink)
	if s.cfg.Channel == "" {
		msg := &slack.WebhookMessage{Text: text, Blocks: &slack.Blocks{BlockSet: blocks}}
		hook := s.cfg.WebhookURL.Reveal()
		err := s.c.call(ctx, "incoming webhook", "webhook:"+s.name, true, func() error {
			return slack.PostWebhookCustomHTTPContext(ctx, hook, s.c.http, msg)
		})
		if err != nil {
			return err
		}
		s.c.markSent(key)
		n.SetReceipt(sinks.Receipt{Status: 200}, e.ID)
		return nil
	}
	ch, ts, err := s.c.post(ctx, s.cfg.Channel, s.cfg.Channel, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false),
		slack.MsgOptionDisableLinkUnfurl())
	if err != nil {
		return err
	}
	s.c.markSent(key)
	n.SetReceipt(sinks.Receipt{Channel: ch, TS: ts}, e.ID)
	return nil
}

// digestMessage builds a digest's blocks and the fallback text
// notifications show: a header, the fleet by status and phase, then a
// section each for the open incidents, the top delays, the incidents
// opened and resolved since the last digest and the quiet projects.
// Project names link to the OMS console when slack.project_url is set;
// times are UTC with how long ago next to them. Every text is escaped.
func digestMessage(d event.Digest, now time.Time, link func(event.Event) string) ([]slack.Block, string) {
	text := fmt.Sprintf("omswatch digest: %d %s", d.Projects, plural(d.Projects, "project", "projects"))
	if d.Incidents {
		text += fmt.Sprintf(", %d open %s", d.OpenCount, plural(d.OpenCount, "incident", "incidents"))
	}
	m := &digestMsg{now: now, link: link, blocks: []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, ":newspaper: "+text, true, false)),
		slack.NewContextBlock("", mrkdwn(fmt.Sprintf("%s · since the last digest, %s", when(now, now), when(d.Since, now)))),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{mrkdwn("*By status*\n" + countText(d.ByStatus)),
			mrkdwn("*By phase*\n" + countText(d.ByPhase))}, nil),
	}}
	if d.Incidents {
		var lines []string
		for _, in := range d.Open[:min(len(d.Open), digestLines)] {
			taken := "nobody has taken it"
			if in.AckedBy != "" {
				taken = "taken by *" + Escape(in.AckedBy) + "*"
			}
			lines = append(lines, fmt.Sprintf("%s %s %s, open %s since %s; %s", icon(in.Severity), m.name(in.Project), Escape(in.Title),
				since(in.Started, now), when(in.Started, now), taken))
		}
		m.section(fmt.Sprintf("Open incidents (%d)", d.OpenCount), max(d.OpenCount, len(lines)), lines)
	}
	var lines []string
	for _, dl := range d.Delays[:min(len(d.Delays), digestLines)] {
		line := fmt.Sprintf("• %s %s behind", m.name(dl.Project), dur(time.Duration(dl.DelaySeconds)*time.Second))
		if dl.ETA != "" {
			line += ", " + Escape(dl.ETA)
		}
		lines = append(lines, line)
	}
	m.section("Top sync delays", len(lines), lines)
	if d.Incidents {
		m.sinceLast(d)
	}
	lines = nil
	for _, p := range d.Quiet[:min(len(d.Quiet), digestLines)] {
		last := "no change the audit trail keeps"
		if !p.Changed.IsZero() {
			last = "last change " + when(p.Changed, now)
		}
		lines = append(lines, fmt.Sprintf("• %s %s, %s", m.name(p), Escape(p.Status), last))
	}
	m.section(fmt.Sprintf("Quiet for %s or more (%d)", dur(d.QuietAfter), d.QuietCount), d.QuietCount, lines)
	return m.blocks, Escape(text)
}

// digestMsg is a digest message being built.
type digestMsg struct {
	now    time.Time
	link   func(event.Event) string
	blocks []slack.Block
}

// name is a project's name in bold, linked to its console page.
func (m *digestMsg) name(p event.DigestProject) string {
	e := event.Event{Source: p.Source, Subject: p.ID, Data: event.Data{Project: event.Project{ID: p.ID, Name: p.Name, Status: p.Status}}}
	return "*" + linkedName(p.Name, m.link, e) + "*"
}

// section adds a divider and a section of lines under a title, saying
// how many of total it leaves out; lines that would take the section
// over Slack's 3,000 characters are left out too, whole.
func (m *digestMsg) section(title string, total int, lines []string) {
	body := "*" + title + "*: none"
	if total > 0 {
		shown := lines
		for {
			body = "*" + title + "*\n" + strings.Join(shown, "\n")
			if more := total - len(shown); more > 0 {
				body += fmt.Sprintf("\n_and %d more_", more)
			}
			if len(body) <= 2900 || len(shown) == 0 {
				break
			}
			shown = shown[:len(shown)-1]
		}
	}
	m.blocks = append(m.blocks, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn(body), nil, nil))
}

// sinceLast adds the incidents opened and resolved since the last digest.
func (m *digestMsg) sinceLast(d event.Digest) {
	var lines []string
	for _, in := range d.Opened[:min(len(d.Opened), digestLines)] {
		lines = append(lines, fmt.Sprintf("%s %s %s, %s (%s)", icon(in.Severity), m.name(in.Project), Escape(in.Title),
			when(in.Started, m.now), in.State))
	}
	for _, in := range d.Resolved[:min(len(d.Resolved), digestLines)] {
		lines = append(lines, fmt.Sprintf(":white_check_mark: %s %s resolved after %s", m.name(in.Project), Escape(in.Title), dur(in.Lasted)))
	}
	m.section(fmt.Sprintf("Since the last digest: %d opened, %d resolved", d.OpenedCount, d.ResolvedCount),
		max(d.OpenedCount+d.ResolvedCount, len(lines)), lines)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// countText is "180 RUNNING · 3 FAILED".
func countText(cs []event.Count) string {
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%d %s", c.Count, Escape(c.Name))
	}
	return strings.Join(parts, " · ")
}
