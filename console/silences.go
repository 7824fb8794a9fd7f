package console

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/rules"
)

// AuditSource is the source of the events that record what users did in
// the console; their types start with AuditTypePrefix. They are stored in
// the audit trail addressed to no target.
const (
	AuditSource     = "omswatch://console"
	AuditTypePrefix = "omswatch.console."
)

type silencesView struct {
	Active, Ended []silenceRow
	Err           string
	// Form is the create form, prefilled from ?project=, ?type=, ?name=.
	Form silenceForm
}

type silenceRow struct {
	rules.Silence
	Matchers string
}

type silenceForm struct {
	Matchers, Duration, Comment, Error string
}

func matchersText(ms []rules.Matcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Name + m.Op + m.Value
	}
	return strings.Join(parts, ", ")
}

func (c *Console) serveSilences(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var lines []string
	for _, k := range []string{"project", "type", "step", "rule"} {
		if v := q.Get(k); v != "" {
			lines = append(lines, k+"="+v)
		}
	}
	form := silenceForm{Matchers: strings.Join(lines, "\n"), Duration: "2h"}
	c.renderSilences(w, r, http.StatusOK, form)
}

func (c *Console) renderSilences(w http.ResponseWriter, r *http.Request, status int, form silenceForm) {
	v := silencesView{Form: form}
	if c.o.Silences == nil {
		v.Err = "silences are not available to the console"
	} else if list, err := c.o.Silences.List(r.Context()); err != nil {
		v.Err = "the silences could not be read: " + err.Error()
	} else {
		now := c.o.Now()
		for _, s := range list {
			row := silenceRow{Silence: s, Matchers: matchersText(s.Matchers)}
			if s.EndsAt.After(now) {
				v.Active = append(v.Active, row)
			} else {
				v.Ended = append(v.Ended, row)
			}
		}
	}
	c.render(w, r, status, "silences", "Silences", v)
}

// parseMatchers reads one matcher per line or comma: name=value, as
// `omswatch silence add` takes them.
func parseMatchers(text string) ([]rules.Matcher, error) {
	var out []rules.Matcher
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' }) {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		m, err := rules.ParseMatcher(f)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, errors.New("give at least one matcher, e.g. project=np_123")
	}
	return out, nil
}

func (c *Console) createSilence(w http.ResponseWriter, r *http.Request) {
	form := silenceForm{Matchers: r.PostFormValue("matchers"), Duration: r.PostFormValue("duration"),
		Comment: strings.TrimSpace(r.PostFormValue("comment"))}
	if c.o.Silences == nil {
		c.fail(w, r, http.StatusServiceUnavailable, "Silences are not available to the console.")
		return
	}
	ms, err := parseMatchers(form.Matchers)
	d, derr := time.ParseDuration(strings.TrimSpace(form.Duration))
	switch {
	case err != nil:
		form.Error = err.Error()
	case derr != nil || d <= 0:
		form.Error = fmt.Sprintf("duration %q: want a positive duration such as 30m, 2h or 48h", form.Duration)
	}
	now := c.o.Now()
	sil := rules.Silence{ID: newID(), Matchers: ms, StartsAt: now, EndsAt: now.Add(d), CreatedBy: userOf(r), Comment: form.Comment}
	if form.Error == "" {
		if err := c.o.Silences.Put(r.Context(), sil); err != nil {
			form.Error = err.Error()
		}
	}
	if form.Error != "" {
		c.renderSilences(w, r, http.StatusBadRequest, form)
		return
	}
	c.log.Info("silence created", "silence", sil.ID, "user", sil.CreatedBy, "matchers", matchersText(ms))
	c.record(r, "silence_created", sil, now)
	http.Redirect(w, r, "/silences", http.StatusSeeOther)
}

func (c *Console) expireSilence(w http.ResponseWriter, r *http.Request) {
	if c.o.Silences == nil {
		c.fail(w, r, http.StatusServiceUnavailable, "Silences are not available to the console.")
		return
	}
	now := c.o.Now()
	sil, err := c.o.Silences.Expire(r.Context(), r.PathValue("id"), now)
	if err != nil {
		c.fail(w, r, http.StatusNotFound, "The silence could not be expired: "+err.Error())
		return
	}
	c.log.Info("silence expired", "silence", sil.ID, "user", userOf(r))
	c.record(r, "silence_expired", sil, now)
	http.Redirect(w, r, "/silences", http.StatusSeeOther)
}

// record writes the action into the audit trail, under the project the
// silence names (or "console" when it names none), so the project's
// timeline shows who silenced it. A failure is logged: the silence itself
// is stored and in force.
func (c *Console) record(r *http.Request, action string, sil rules.Silence, now time.Time) {
	if c.o.Audit == nil {
		return
	}
	subject := "console"
	for _, m := range sil.Matchers {
		if m.Name == "project" && m.Op == "=" && !strings.ContainsAny(m.Value, "*?[~") {
			subject = m.Value
		}
	}
	typ := AuditTypePrefix + action
	e := event.Event{ID: event.NewID(AuditSource, subject, typ, sil.ID, now.Format(time.RFC3339Nano)),
		Source: AuditSource, Type: typ, Subject: subject, Time: now, Severity: event.Info,
		Data: event.Data{Project: event.Project{ID: subject}, Fields: map[string]any{
			"user": userOf(r), "silence": sil.ID, "matchers": matchersText(sil.Matchers),
			"ends_at": sil.EndsAt.UTC().Format(time.RFC3339), "comment": sil.Comment}}}
	if err := c.o.Audit.Record(r.Context(), e); err != nil {
		c.log.Error("record a console action in the audit trail", "action", action, "silence", sil.ID, "error", err)
	}
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "web-" + hex.EncodeToString(b)
}
