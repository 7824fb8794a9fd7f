package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/sinks"
)

// DeadLetters reads what the targets could not take (target: only that
// one's), oldest first, each with its resends and fallback, where History
// reads the audit trail: a running omswatch's embedded server, the store
// opened here when none runs, or the external NATS. It creates nothing.
func DeadLetters(ctx context.Context, cfg *config.Config, target string, log *slog.Logger) ([]sinks.DeadLetter, error) {
	a := &app{}
	defer a.close()
	js, err := openTrail(ctx, a, cfg, log)
	if err != nil {
		return nil, err
	}
	return sinks.DeadLetters(ctx, js, sinks.DeadLetterQuery{Target: target})
}

// ResendDeadLetters re-queues dead letters for their targets, to be
// delivered once by the running omswatch's dispatcher, or the next one
// started; each resend is recorded in the audit trail. ids are dead-letter
// ids (as DeadLetters lists them) or event ids; none: every dead letter
// not resent yet (target: only that one's). Of several dead letters of one
// event for one target only the newest is resent. It returns what it
// resent.
func ResendDeadLetters(ctx context.Context, cfg *config.Config, target string, ids []string, log *slog.Logger) ([]sinks.DeadLetter, error) {
	a := &app{}
	defer a.close()
	js, err := openTrail(ctx, a, cfg, log)
	if err != nil {
		return nil, err
	}
	q := sinks.DeadLetterQuery{Target: target}
	all, err := sinks.DeadLetters(ctx, js, q)
	if err != nil {
		return nil, err
	}
	pick, err := pickDeadLetters(all, ids)
	if err != nil {
		return nil, err
	}
	configured := map[string]bool{}
	for _, t := range cfg.Targets() {
		configured[t.Name] = true
	}
	var errs []error
	var resent []sinks.DeadLetter
	for _, dl := range sinks.Latest(pick) {
		if !configured[dl.Target] {
			errs = append(errs, fmt.Errorf("dead letter %d is for target %q, which %s does not define: nothing would deliver it; add the target back to resend it",
				dl.Seq, dl.Target, cfg.File))
			continue
		}
		if err := sinks.Resend(ctx, js, q, dl); err != nil {
			errs = append(errs, err)
			continue
		}
		resent = append(resent, dl)
	}
	return resent, errors.Join(errs...)
}

// pickDeadLetters selects by ids (dead-letter ids or event ids), or, with
// none, those never resent.
func pickDeadLetters(all []sinks.DeadLetter, ids []string) ([]sinks.DeadLetter, error) {
	if len(ids) == 0 {
		return slices.DeleteFunc(sinks.Latest(all), func(dl sinks.DeadLetter) bool { return len(dl.Resent) > 0 }), nil
	}
	var out []sinks.DeadLetter
	var missing []string
	for _, id := range ids {
		seq, _ := strconv.ParseUint(id, 10, 64)
		n := len(out)
		for _, dl := range all {
			if dl.Seq == seq || dl.Event.ID == id {
				out = append(out, dl)
			}
		}
		if len(out) == n {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no dead letter %s (omswatch deadletter list shows their ids)", strings.Join(missing, ", "))
	}
	return out, nil
}

// deadLetterJSON is a dead letter as `deadletter list --format json`
// prints it, one a line.
type deadLetterJSON struct {
	ID         uint64          `json:"id"`
	Time       time.Time       `json:"time"`
	Target     string          `json:"target"`
	Route      string          `json:"route,omitempty"`
	Reason     string          `json:"reason"`
	Attempts   int             `json:"attempts"`
	EventID    string          `json:"event_id"`
	Project    string          `json:"project"`
	Type       string          `json:"type"`
	Severity   string          `json:"severity"`
	Resent     []time.Time     `json:"resent"`
	FallbackTo string          `json:"fallback_to,omitempty"`
	ResendOf   uint64          `json:"resend_of,omitempty"`
	FallbackOf uint64          `json:"fallback_of,omitempty"`
	Event      json.RawMessage `json:"event"`
}

// WriteDeadLetters prints dead letters: a table (format text) or JSON
// lines (json).
func WriteDeadLetters(w io.Writer, dls []sinks.DeadLetter, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, dl := range dls {
			j := deadLetterJSON{ID: dl.Seq, Time: dl.Time, Target: dl.Target, Route: dl.Route, Reason: dl.Reason,
				Attempts: dl.Attempts, EventID: dl.Event.ID, Project: dl.Event.Subject, Type: dl.Event.Type,
				Severity: string(dl.Event.Severity), Resent: dl.Resent, FallbackTo: dl.FallbackTo, Event: dl.Raw}
			if j.Resent == nil {
				j.Resent = []time.Time{}
			}
			switch dl.Requeue {
			case sinks.RequeueResend:
				j.ResendOf = dl.RequeueOf
			case sinks.RequeueFallback:
				j.FallbackOf = dl.RequeueOf
			}
			if err := enc.Encode(j); err != nil {
				return fmt.Errorf("dead letters: %w", err)
			}
		}
		return nil
	}
	if len(dls) == 0 {
		_, err := fmt.Fprintln(w, "no dead letters: the targets took everything they were sent")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDEAD-LETTERED\tTARGET\tPROJECT\tTYPE\tSEVERITY\tATTEMPTS\tRESENT\tREASON")
	for _, dl := range dls {
		e := dl.Event
		who := e.Subject
		if name := strings.Join(strings.Fields(e.Data.Project.Name), " "); name != "" {
			who = name + " (" + e.Subject + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", dl.Seq, dl.Time.Format(time.RFC3339), dl.Target, who, e.Type,
			e.Severity, dl.Attempts, resentText(dl), reasonText(dl))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	waiting := len(slices.DeleteFunc(sinks.Latest(dls), func(dl sinks.DeadLetter) bool { return len(dl.Resent) > 0 }))
	_, err := fmt.Fprintf(w, "%d dead letters, %d not resent yet; once the cause is fixed: omswatch deadletter resend --config FILE [--target T] [ID...]\n",
		len(dls), waiting)
	return err
}

// resentText says whether and when a dead letter was resent.
func resentText(dl sinks.DeadLetter) string {
	if len(dl.Resent) == 0 {
		return "no"
	}
	s := dl.Resent[len(dl.Resent)-1].Format(time.RFC3339)
	if len(dl.Resent) > 1 {
		s += fmt.Sprintf(" (%d times)", len(dl.Resent))
	}
	return s
}

// reasonText is the reason, with where the dead letter came from and
// where its fallback went.
func reasonText(dl sinks.DeadLetter) string {
	s := strings.ReplaceAll(dl.Reason, "\t", " ")
	switch dl.Requeue {
	case sinks.RequeueResend:
		s = fmt.Sprintf("resend of %d failed again: %s", dl.RequeueOf, s)
	case sinks.RequeueFallback:
		s = fmt.Sprintf("fallback of %d failed: %s", dl.RequeueOf, s)
	}
	if dl.FallbackTo != "" {
		s += " (sent to fallback " + dl.FallbackTo + ")"
	}
	return s
}

// WriteResent says what ResendDeadLetters re-queued.
func WriteResent(w io.Writer, dls []sinks.DeadLetter) error {
	var b strings.Builder
	for _, dl := range dls {
		fmt.Fprintf(&b, "resent %d to %s: %s %s (event %s)\n", dl.Seq, dl.Target, dl.Event.Subject, dl.Event.Type, dl.Event.ID)
	}
	if len(dls) == 0 {
		b.WriteString("nothing to resend: no dead letter waits for a resend (omswatch deadletter list shows them all)\n")
	} else {
		fmt.Fprintf(&b, "%d re-queued: the running omswatch delivers them now, or the next one started; a failure dead-letters them again\n", len(dls))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DeadLetterOptions are what `omswatch deadletter list|resend` adds to
// the configuration.
type DeadLetterOptions struct {
	// Resend re-queues IDs (all not resent yet when none); else list.
	Resend bool
	IDs    []string
	// Target, if set, keeps only that target's dead letters.
	Target string
	// Format is list's: text or json.
	Format string
	Stdout io.Writer
	// NewLogger builds the logger from the configuration's log section.
	NewLogger func(config.Log) (*slog.Logger, error)
}

// DeadLetterCommand lists or resends dead letters and prints the result.
func DeadLetterCommand(ctx context.Context, cfg *config.Config, o DeadLetterOptions) error {
	if o.Format != "text" && o.Format != "json" && !o.Resend {
		return Invalidf("--format %q: want text or json", o.Format)
	}
	log, err := o.NewLogger(cfg.Log)
	if err != nil {
		return err
	}
	if o.Resend {
		dls, err := ResendDeadLetters(ctx, cfg, o.Target, o.IDs, log)
		if err != nil && len(dls) == 0 {
			return err
		}
		return errors.Join(WriteResent(o.Stdout, dls), err)
	}
	dls, err := DeadLetters(ctx, cfg, o.Target, log)
	if err != nil {
		return err
	}
	if len(dls) == 0 && o.Target != "" && !slices.ContainsFunc(cfg.Targets(), func(t config.Target) bool { return t.Name == o.Target }) {
		return Invalidf("--target %q: %s defines no such target, and no dead letter is for one of that name", o.Target, cfg.File)
	}
	return WriteDeadLetters(o.Stdout, dls, o.Format)
}
