package slack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// card is a project's status card: its blocks, the fallback text
// notifications and screen readers show, and a hash of both, so the card
// is updated only when what it shows changed.
type card struct {
	blocks []slack.Block
	text   string
	hash   string
}

// statusOf is the project's status from the notification, or what its last
// event says of it when the snapshot's is not known.
func statusOf(n *sinks.Notification, events []event.Event) *sinks.ProjectStatus {
	last := events[len(events)-1]
	if st := n.Status[last.Subject]; st != nil {
		return st
	}
	p := last.Data.Project
	return &sinks.ProjectStatus{ID: last.Subject, Name: p.Name, Type: p.Type, Status: p.Status, Importance: p.Importance}
}

// newCard builds the card. Every text from OMS is escaped; link is the
// project's URL ("" for none).
func newCard(st *sinks.ProjectStatus, link string) card {
	name := Escape(st.Name)
	if name == "" {
		name = Escape(st.ID)
	}
	title := "*" + name + "*"
	if link != "" {
		title = "*<" + Escape(link) + "|" + name + ">*"
	}
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	fields := []*slack.TextBlockObject{
		md("*Status*\n" + statusIcon(st.Status) + " " + Escape(st.Status)),
		md("*Sync delay*\n" + syncDelay(st)),
		md("*Alarm*\n" + alarm(st)),
	}
	if st.Importance != "" {
		fields = append(fields, md("*Importance*\n"+Escape(st.Importance)))
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(md(title+"  ·  "+Escape(st.ID)+typeSuffix(st)), fields, nil),
	}
	if len(st.Steps) > 0 {
		var b strings.Builder
		for _, s := range st.Steps {
			fmt.Fprintf(&b, "%s `%s` %3d%%  %s\n", statusIcon(s.Status), progressBar(s.Progress), s.Progress, Escape(s.Name+" "+s.Status))
		}
		blocks = append(blocks, slack.NewSectionBlock(md(strings.TrimSuffix(b.String(), "\n")), nil, nil))
	}
	if st.LastError != "" {
		blocks = append(blocks, slack.NewSectionBlock(md("*Last error*\n> "+Escape(oneLine(st.LastError, 500))), nil, nil))
	}
	text := fmt.Sprintf("%s: %s", name, Escape(st.Status))
	raw, _ := json.Marshal(blocks) // blocks of text objects always marshal
	sum := sha256.Sum256(append(raw, text...))
	return card{blocks: blocks, text: text, hash: hex.EncodeToString(sum[:12])}
}

func typeSuffix(st *sinks.ProjectStatus) string {
	if st.Type == "" {
		return ""
	}
	return "  ·  " + Escape(st.Type)
}

// progressBar draws 10 cells for a percentage.
func progressBar(p int) string {
	p = min(max(p, 0), 100)
	full := p / 10
	return strings.Repeat("▓", full) + strings.Repeat("░", 10-full)
}

func statusIcon(status string) string {
	switch strings.ToUpper(status) {
	case "FAILED":
		return ":red_circle:"
	case "RUNNING", "MONITORING":
		return ":large_green_circle:"
	case "FINISHED":
		return ":white_check_mark:"
	case "SUSPEND", "RELEASING", "RELEASED", "DELETED":
		return ":double_vertical_bar:"
	}
	return ":white_circle:"
}

// syncDelay is the delay and, while it lags, where it is going:
// "12m0s, catching up, ETA 35 min", "2m30s, falling behind by 3 s/min",
// "5m0s, stalled".
func syncDelay(st *sinks.ProjectStatus) string {
	if !st.SyncDelayKnown {
		return "unknown"
	}
	d := st.SyncDelay.Round(time.Second).String()
	switch {
	case strings.HasPrefix(st.ETA, "stalled"):
		d += ", stalled" // the delay is already said
	case st.ETA != "":
		d += ", " + Escape(st.ETA)
	}
	return d
}

func alarm(st *sinks.ProjectStatus) string {
	if !st.Alarming {
		return "none"
	}
	if st.AlarmContent == "" {
		return ":rotating_light: alarming"
	}
	return ":rotating_light: " + Escape(oneLine(st.AlarmContent, 200))
}

func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}
