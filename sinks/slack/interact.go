package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Action ids of the buttons on an incident's parent message.
const (
	ActionAck       = "omswatch_ack"
	ActionSilence1h = "omswatch_silence_1h"
	ActionSilence4h = "omswatch_silence_4h"
	ActionConsole   = "omswatch_console"
)

// silenceFor is how long each silence button silences the project.
var silenceFor = map[string]time.Duration{ActionSilence1h: time.Hour, ActionSilence4h: 4 * time.Hour}

// maxInteraction is the largest interaction payload read: Slack's are a
// few KiB (the message they come from included).
const maxInteraction = 1 << 20

// Actions is what the buttons do, declared here and implemented by the
// service (the same paths as `omswatch incident ack` and `omswatch
// silence add`). Each returns a line that tells the user what happened.
type Actions interface {
	// Acknowledge takes the incident for by, with a comment.
	Acknowledge(ctx context.Context, incident, by, comment string) (string, error)
	// Silence silences the project for d, created by by, with a comment.
	Silence(ctx context.Context, project string, d time.Duration, by, comment string) (string, error)
}

// InteractionOptions configures an Interactions handler.
type InteractionOptions struct {
	// SigningSecret is the Slack app's signing secret: requests that are
	// not signed with it, or whose timestamp is more than 5 minutes away,
	// are refused with 401. Empty: ServeHTTP refuses every request (the
	// presses arrive over Socket Mode only).
	SigningSecret string
	Actions       Actions
	// HTTPClient posts the outcome to the interaction's response_url
	// (default: a client with a 10 s timeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock that forgets the presses already done (default
	// time.Now).
	Now func() time.Time
}

// Interactions does what the buttons of Slack messages ask, whichever way
// the press arrives: as an HTTP request to the Request URL of the app's
// Interactivity (ServeHTTP, which checks the signature) or over Socket
// Mode (RunSocketMode). Either answers Slack at once (it wants an answer
// within 3 s); then handle does the button's action, once per press, and
// tells the user the outcome through the response_url, as a message only
// they see. The parent message itself changes when the action's event
// reaches the target, as for the same command from the CLI.
type Interactions struct {
	o       InteractionOptions
	log     *slog.Logger
	running sync.WaitGroup

	mu   sync.Mutex
	seen map[string]time.Time // the presses done lately, by trigger and action (or signature)
}

// rememberPresses is how long a press is remembered, so that the same
// request again (Slack retrying, or a replay within the 5 minutes its
// signature is good for) does nothing twice.
const rememberPresses = 10 * time.Minute

// NewInteractions builds the handler; it needs the actions.
func NewInteractions(o InteractionOptions) (*Interactions, error) {
	if o.Actions == nil {
		return nil, errors.New("slack interactions need their actions")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Interactions{o: o, log: log.With("component", "slack-interactions"), seen: map[string]time.Time{}}, nil
}

// Wait waits for the actions under way (at shutdown, after the HTTP
// server and the Socket Mode connection stopped taking presses).
func (h *Interactions) Wait() { h.running.Wait() }

// Signed reports whether ServeHTTP can take requests: it has the signing
// secret to check them with.
func (h *Interactions) Signed() bool { return h.o.SigningSecret != "" }

// ServeHTTP handles one interaction request: signed with the signing
// secret, or refused with 401.
func (h *Interactions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteraction))
	if err != nil {
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	err = errors.New("no signing secret to check it with")
	if h.Signed() {
		var sv slack.SecretsVerifier
		if sv, err = slack.NewSecretsVerifier(r.Header, h.o.SigningSecret); err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
	}
	if err != nil {
		h.log.Warn("refused a Slack interaction that is not signed with the signing secret, or too old", "remote", r.RemoteAddr, "error", err)
		http.Error(w, "not signed by Slack", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil {
		http.Error(w, "not an interaction payload", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK) // within Slack's 3 s; the work follows
	h.handle(r.Context(), ic, r.Header.Get("X-Slack-Signature"))
}

// handle starts the action of each button pressed in ic, the same press
// once: a press is known by its trigger id and action (Slack's retries
// and replays carry the same), else by request, the signature of an HTTP
// request or the envelope id of a Socket Mode message. The actions run on
// after ctx ends, within 30 s; Wait waits for them.
func (h *Interactions) handle(ctx context.Context, ic slack.InteractionCallback, request string) {
	if ic.Type != slack.InteractionTypeBlockActions {
		return
	}
	for _, a := range ic.ActionCallback.BlockActions {
		if a.ActionID != ActionAck && silenceFor[a.ActionID] == 0 {
			continue // Open console is a link: Slack opens it, nothing to do
		}
		key := ic.TriggerID + "|" + a.ActionID + "|" + a.ActionTs
		if ic.TriggerID == "" {
			key = request + "|" + a.ActionID
		}
		if !h.first(key) {
			h.log.Info("a Slack button press came again; it was done once", "action", a.ActionID, "value", a.Value)
			continue
		}
		h.running.Go(func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			h.do(ctx, ic, a)
		})
	}
}

// first reports whether the press key is new, and remembers it.
func (h *Interactions) first(key string) bool {
	now := h.o.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, at := range h.seen {
		if now.Sub(at) > rememberPresses {
			delete(h.seen, k)
		}
	}
	if _, ok := h.seen[key]; ok {
		return false
	}
	h.seen[key] = now
	return true
}

// do runs one button's action and reports its outcome to the user.
func (h *Interactions) do(ctx context.Context, ic slack.InteractionCallback, a *slack.BlockAction) {
	by := UserOf(ic.User)
	var out string
	var err error
	switch a.ActionID {
	case ActionAck:
		out, err = h.o.Actions.Acknowledge(ctx, a.Value, by, "from Slack")
	default:
		d := silenceFor[a.ActionID]
		out, err = h.o.Actions.Silence(ctx, a.Value, d, by, fmt.Sprintf("from Slack, for %s", humanDuration(d)))
	}
	if err != nil {
		h.log.Warn("a Slack button's action failed", "action", a.ActionID, "value", a.Value, "user", by, "error", err)
		out = ":x: " + Escape(err.Error())
	} else {
		h.log.Info("a Slack button's action", "action", a.ActionID, "value", a.Value, "user", by)
		out = Escape(out)
	}
	if ic.ResponseURL == "" {
		return
	}
	msg := &slack.WebhookMessage{Text: out, ResponseType: slack.ResponseTypeEphemeral, ReplaceOriginal: false}
	if err := slack.PostWebhookCustomHTTPContext(ctx, ic.ResponseURL, h.o.HTTPClient, msg); err != nil {
		h.log.Warn("tell the Slack user what their button did", "action", a.ActionID, "error", err)
	}
}

// UserOf is how a Slack user is named in the audit trail: their user name,
// else their id.
func UserOf(u slack.User) string {
	switch {
	case u.Name != "":
		return u.Name
	case u.ID != "":
		return u.ID
	}
	return "slack"
}
