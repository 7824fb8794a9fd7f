package slack

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/omswatch/omswatch/event"
)

// editInterval is the least time between two edits of one message:
// Slack's limits allow about one a second, so edits wait their turn and
// the last one (the final state) always lands.
const editInterval = time.Second

// isIncident reports whether an event is an incident's own.
func isIncident(e event.Event) bool { return strings.HasPrefix(e.Type, "oms.incident.") }

// splitIncidents separates incident events from the others, each in order.
func splitIncidents(events []event.Event) (incidents, rest []event.Event) {
	for _, e := range events {
		if isIncident(e) {
			incidents = append(incidents, e)
		} else {
			rest = append(rest, e)
		}
	}
	return incidents, rest
}

// IncidentKey is the key of an incident's thread in a channel.
func IncidentKey(channel, source, incident string) string {
	return ThreadKey(channel, source, "incident/"+incident)
}

// sendIncidents follows incidents in the channel: one parent message per
// incident, posted when it opens and edited in place through its life
// (coalesced: one edit per incident per notification, at most one a
// second per message), and each of its events as a reply in its thread.
func (s *Sink) sendIncidents(ctx context.Context, events []event.Event) error {
	for _, evs := range byIncident(events) {
		first, last := evs[0], evs[len(evs)-1]
		key := IncidentKey(s.cfg.Channel, first.Source, threadOf(first))
		cd := newIncidentCard(last, s.c.projectLink(last)).withButtons(s.c.incidentButtons(last))
		if members := fleetMembers(last); len(members) > 1 {
			cd = newFleetCard(last, members)
		}
		th, err := s.incidentThread(ctx, key, cd)
		if err != nil {
			return err
		}
		for _, e := range evs {
			rk := s.name + "|incident|" + e.ID
			if s.c.wasSent(rk) {
				continue
			}
			text := incidentReply(e)
			if len(fleetMembers(e)) > 1 { // a thread of several projects: say whose
				text = "*" + Escape(e.Data.Project.Name) + "* `" + Escape(e.Subject) + "`: " + text
			}
			opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionTS(th.TS),
				slack.MsgOptionDisableLinkUnfurl()}
			if _, _, err := s.c.post(ctx, s.cfg.Channel, th.Channel, opts...); err != nil {
				return err
			}
			s.c.markSent(rk)
		}
	}
	return nil
}

// byIncident splits incident events by thread (their fleet's, else their
// incident's), in order of first appearance.
func byIncident(events []event.Event) [][]event.Event {
	idx := map[string]int{}
	var out [][]event.Event
	for _, e := range events {
		id := threadOf(e)
		i, ok := idx[id]
		if !ok {
			i = len(out)
			idx[id] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], e)
	}
	return out
}

// incidentThread returns the incident's thread, posting its parent when
// there is none and editing it when what it shows changed.
func (s *Sink) incidentThread(ctx context.Context, key string, cd incidentCard) (Thread, error) {
	th, ok, err := s.c.opts.Threads.Get(ctx, key)
	if err != nil {
		return Thread{}, err
	}
	if ok && th.Card != cd.hash {
		err := s.c.edit(ctx, th.Channel, th.TS, slack.MsgOptionAttachments(cd.att), slack.MsgOptionText(cd.text, false))
		var se slack.SlackErrorResponse
		switch {
		case errors.As(err, &se) && (se.Err == "message_not_found" || se.Err == "cant_update_message"):
			ok = false // the parent is gone: post it again
		case err != nil:
			return Thread{}, s.c.classify("chat.update", err)
		default:
			th.Card = cd.hash
			if err := s.c.opts.Threads.Put(ctx, key, th); err != nil {
				return Thread{}, err
			}
		}
	}
	if ok {
		return th, nil
	}
	ch, ts, err := s.c.post(ctx, s.cfg.Channel, s.cfg.Channel, slack.MsgOptionAttachments(cd.att),
		slack.MsgOptionText(cd.text, false), slack.MsgOptionDisableLinkUnfurl())
	if err != nil {
		return Thread{}, err
	}
	th = Thread{Channel: ch, TS: ts, Card: cd.hash}
	if err := s.c.opts.Threads.Put(ctx, key, th); err != nil {
		return Thread{}, err
	}
	return th, nil
}

// edit changes a message with chat.update, at most once every
// editInterval per message (waiting its turn), again after a 429's
// Retry-After. Errors are returned as Slack gave them.
func (c *Client) edit(ctx context.Context, channel, ts string, opts ...slack.MsgOption) error {
	if err := c.edits.wait(ctx, channel+"/"+ts); err != nil {
		return err
	}
	for {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, opts...)
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			return err
		}
		if err := c.opts.Clock.Sleep(ctx, rl.RetryAfter); err != nil {
			return err
		}
	}
}
