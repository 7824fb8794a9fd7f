package slack

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// sendFirstSight announces a poll cycle's first sightings
// (discovery.announce: summary) in one message: how many projects are
// watched now, by status, naming the ones that need a look; then each
// project with problems gets its card and thread as any event would. A
// fleet of a thousand projects is a handful of messages, not a thousand.
func (s *Sink) sendFirstSight(ctx context.Context, n *sinks.Notification) error {
	problems := withProblems(n.Events)
	text := firstSightSummary(n.Events, len(problems), s.c.projectLink)
	if s.cfg.Channel == "" {
		// An incoming webhook has no threads: the projects with problems
		// are lines of the same message.
		if len(problems) > 0 {
			text += "\n" + s.r.text(n, problems)
		}
		return s.postWebhook(ctx, n, text)
	}
	key := s.replyKey(n.Events) + "|first sight"
	if !s.c.wasSent(key) {
		ch, ts, err := s.c.post(ctx, s.cfg.Channel, s.cfg.Channel, slack.MsgOptionText(text, false),
			slack.MsgOptionDisableLinkUnfurl())
		if err != nil {
			return err
		}
		s.c.markSent(key)
		n.SetReceipt(sinks.Receipt{Channel: ch, TS: ts}, eventIDs(n.Events)...)
	}
	for _, events := range byProject(problems) {
		if err := s.sendThread(ctx, n, events); err != nil {
			return err
		}
	}
	return nil
}

// withProblems are the events whose project has problems at first sight.
func withProblems(events []event.Event) []event.Event {
	var out []event.Event
	for _, e := range events {
		if problems, _ := e.Data.Fields["problems"].([]any); len(problems) > 0 {
			out = append(out, e)
		}
	}
	return out
}

// firstSightSummary is "omswatch is watching 212 new projects in
// cn-hangzhou: 180 RUNNING, 3 FAILED (inv, orders, pay), 2 SUSPEND ...":
// statuses by count, naming (and linking, when link gives a page) the
// projects of every status but the usual ones.
func firstSightSummary(events []event.Event, problems int, link func(event.Event) string) string {
	byStatus := map[string][]event.Event{}
	for _, e := range events {
		st := e.Data.Project.Status
		if st == "" {
			st = "UNKNOWN"
		}
		byStatus[st] = append(byStatus[st], e)
	}
	statuses := slices.SortedFunc(maps.Keys(byStatus), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(byStatus[b]), len(byStatus[a])), cmp.Compare(a, b))
	})
	parts := make([]string, 0, len(statuses))
	for _, st := range statuses {
		evs := byStatus[st]
		part := fmt.Sprintf("%d %s", len(evs), st)
		if st != "RUNNING" && st != "FINISHED" && st != "INIT" {
			slices.SortFunc(evs, func(a, b event.Event) int { return cmp.Compare(projectName(a), projectName(b)) })
			names := make([]string, 0, 6)
			for _, e := range evs[:min(len(evs), 5)] {
				names = append(names, linkedName(projectName(e), link, e))
			}
			if len(evs) > 5 {
				names = append(names, fmt.Sprintf("and %d more", len(evs)-5))
			}
			part += " (" + strings.Join(names, ", ") + ")"
		}
		parts = append(parts, part)
	}
	source := ""
	if len(events) > 0 {
		source = " in " + Escape(sinks.Where(events[0].Source))
	}
	text := fmt.Sprintf(":eyes: omswatch is watching %d new %s%s: %s.", len(events), plural(len(events), "project", "projects"),
		source, strings.Join(parts, ", "))
	if problems > 0 {
		text += fmt.Sprintf(" The %d with problems follow.", problems)
	}
	return text
}

func projectName(e event.Event) string {
	return cmp.Or(e.Data.Project.Name, e.Subject)
}

// linkedName is a project's name, escaped, as a link to its page when
// link gives one.
func linkedName(name string, link func(event.Event) string, e event.Event) string {
	if link != nil {
		if u := link(e); u != "" {
			return "<" + Escape(u) + "|" + Escape(name) + ">"
		}
	}
	return Escape(name)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
