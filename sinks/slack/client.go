package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/slack-go/slack"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// Client is what the Slack targets of one workspace share: the Web API
// client with the bot token, the per-channel limiter and the thread store.
// It is safe for concurrent use.
type Client struct {
	cfg  Config
	opts ClientOptions
	api  *slack.Client
	http *http.Client
	lim  *limiter
	// edits spaces the edits of one message (incident parents).
	edits *limiter
	link  *template.Template

	mu   sync.Mutex
	sent map[string]bool // replies already posted, so a retry skips them
}

// NewClient builds the client the targets of cfg share. Its targets are
// built with Target.
func NewClient(cfg Config, o ClientOptions) (*Client, error) {
	o.setDefaults()
	interval := time.Second // Slack's one message a second a channel
	if perSec := cfg.RateLimit.PerSecond(); perSec > 0 {
		interval = time.Duration(float64(time.Second) / perSec)
	}
	c := &Client{cfg: cfg, opts: o, http: &http.Client{Timeout: o.Timeout}, lim: newLimiter(o.Clock, interval), sent: map[string]bool{}}
	c.edits = newLimiter(o.Clock, editInterval)
	o.Redactor.Add(cfg.Token)
	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = slack.APIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	c.api = slack.New(cfg.Token.Reveal(), slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(c.http))
	if !cfg.ProjectURL.IsZero() {
		t, err := template.New("project_url").Option("missingkey=zero").Parse(cfg.ProjectURL.Text)
		if err != nil {
			return nil, fmt.Errorf("slack project_url: %w", err)
		}
		c.link = t
	}
	return c, nil
}

// Sink is one Slack target.
type Sink struct {
	c    *Client
	name string
	cfg  Target
	r    *renderer
}

// Target returns the sink of one target, with the templates of named
// routes (which override its own); its templates are compiled here.
func (c *Client) Target(name string, t Target, routes RouteTemplates) (*Sink, error) {
	if err := t.validate(!c.cfg.Token.IsZero()); err != nil {
		return nil, targetError(name, err)
	}
	c.opts.Redactor.Add(t.WebhookURL)
	r, err := newRenderer(t, routes, c.projectLink)
	if r != nil {
		r.runbook = c.opts.Runbook
	}
	if err != nil {
		return nil, targetError(name, err)
	}
	return &Sink{c: c, name: name, cfg: t, r: r}, nil
}

// Send posts the notification: in bot mode one reply per project in the
// project's thread (the card first created or brought up to date), in
// webhook mode one message.
func (s *Sink) Send(ctx context.Context, n sinks.Notification) error {
	if len(n.Events) == 0 {
		return nil
	}
	if digests, rest := splitDigests(n.Events); len(digests) > 0 {
		// A digest is a message of its own, whatever it was grouped with.
		for _, e := range digests {
			if err := s.sendDigest(ctx, &n, e); err != nil {
				return err
			}
		}
		if n.Events = rest; len(rest) == 0 {
			return nil
		}
	}
	if n.Route == sinks.RouteFirstSight {
		return s.sendFirstSight(ctx, &n)
	}
	if s.cfg.Channel == "" {
		return s.sendWebhook(ctx, &n)
	}
	// An incident has a parent message of its own, edited through its
	// life; the other events go to their project's thread.
	incidents, rest := splitIncidents(n.Events)
	if err := s.sendIncidents(ctx, incidents); err != nil {
		return err
	}
	for _, events := range byProject(rest) {
		if err := s.sendThread(ctx, &n, events); err != nil {
			return err
		}
	}
	return nil
}

// byProject splits events by project, in order of first appearance.
func byProject(events []event.Event) [][]event.Event {
	idx := map[string]int{}
	var out [][]event.Event
	for _, e := range events {
		i, ok := idx[e.Subject]
		if !ok {
			i = len(out)
			idx[e.Subject] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], e)
	}
	return out
}

// sendThread posts one project's events as a reply in its thread.
func (s *Sink) sendThread(ctx context.Context, n *sinks.Notification, events []event.Event) error {
	key := s.replyKey(events)
	if s.c.wasSent(key) {
		return nil
	}
	first := events[0]
	tkey := ThreadKey(s.cfg.Channel, first.Source, first.Subject)
	th, err := s.thread(ctx, tkey, newCard(statusOf(n, events), s.c.projectLink(first)))
	if err != nil {
		return err
	}
	opts := []slack.MsgOption{slack.MsgOptionText(s.r.text(n, events), false), slack.MsgOptionTS(th.TS),
		slack.MsgOptionDisableLinkUnfurl()}
	for _, e := range events {
		if e.Severity == event.Critical {
			opts = append(opts, slack.MsgOptionBroadcast())
			break
		}
	}
	ch, ts, err := s.c.post(ctx, s.cfg.Channel, th.Channel, opts...)
	if err != nil {
		return err
	}
	s.c.markSent(key)
	n.SetReceipt(sinks.Receipt{Channel: ch, TS: ts}, eventIDs(events)...)
	return nil
}

// thread returns the project's thread, posting its card as the parent
// when there is none and updating the card when it changed.
func (s *Sink) thread(ctx context.Context, key string, cd card) (Thread, error) {
	th, ok, err := s.c.opts.Threads.Get(ctx, key)
	if err != nil {
		return Thread{}, err
	}
	if ok && th.Card != cd.hash {
		err := s.c.update(ctx, th.Channel, th.TS, cd)
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && (se.Err == "message_not_found" || se.Err == "cant_update_message") {
			ok = false // the parent is gone: start a new thread
		} else if err != nil {
			return Thread{}, s.c.classify("chat.update", err)
		} else {
			th.Card = cd.hash
			if err := s.c.opts.Threads.Put(ctx, key, th); err != nil {
				return Thread{}, err
			}
		}
	}
	if ok {
		return th, nil
	}
	ch, ts, err := s.c.post(ctx, s.cfg.Channel, s.cfg.Channel, slack.MsgOptionBlocks(cd.blocks...),
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

func (s *Sink) replyKey(events []event.Event) string {
	var b strings.Builder
	b.WriteString(s.name)
	for _, e := range events {
		b.WriteString("|" + e.ID)
	}
	return b.String()
}

// sendWebhook posts the whole notification as one message.
func (s *Sink) sendWebhook(ctx context.Context, n *sinks.Notification) error {
	return s.postWebhook(ctx, n, s.r.text(n, n.Events))
}

// postWebhook posts text through the target's incoming webhook; the
// record gets the HTTP status of its answer.
func (s *Sink) postWebhook(ctx context.Context, n *sinks.Notification, text string) error {
	msg := &slack.WebhookMessage{Text: text}
	hook := s.cfg.WebhookURL.Reveal()
	err := s.c.call(ctx, "incoming webhook", "webhook:"+s.name, true, func() error {
		return slack.PostWebhookCustomHTTPContext(ctx, hook, s.c.http, msg)
	})
	if err == nil {
		n.SetReceipt(sinks.Receipt{Status: http.StatusOK}, eventIDs(n.Events)...)
	}
	return err
}

// eventIDs are the ids of events, for receipts.
func eventIDs(events []event.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

func (c *Client) projectLink(e event.Event) string {
	if c.link == nil {
		return ""
	}
	var b strings.Builder
	if c.link.Execute(&b, sinks.NewTemplateData(e, func(s string) string { return s })) != nil {
		return ""
	}
	return b.String()
}

func (c *Client) wasSent(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent[key]
}

func (c *Client) markSent(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sent) >= 4096 {
		clear(c.sent) // a retry comes right after its failure; old keys are not needed
	}
	c.sent[key] = true
}
