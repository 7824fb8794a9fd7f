package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/sinks"
)

// IncidentRequest is one `omswatch incident` command.
type IncidentRequest struct {
	// Action is list, show, ack or resolve.
	Action string
	// ID is the incident's id, or a unique start of it (show, ack, resolve).
	ID string
	// All lists resolved incidents too.
	All bool
	// By and Comment say who acknowledges or resolves, and why.
	By, Comment string
	// Now is the time of the command.
	Now time.Time
}

// Incidents runs an incident command on the incidents where the
// configuration keeps them (as History reaches the audit trail: a running
// omswatch's server, nats.url, or the store opened here) and writes what
// it shows to w. An acknowledgement or resolution is written to the
// incident's record and its event published to the audit trail with the
// targets the rules choose, which the running dispatcher delivers (or the
// next one to start).
func Incidents(ctx context.Context, cfg *config.Config, r IncidentRequest, w io.Writer, log *slog.Logger) error {
	if (r.Action == "ack" || r.Action == "resolve") && r.By == "" {
		return Invalidf("say who you are with --by (it is kept with the incident and in the audit trail)")
	}
	if cfg.NATS.IsEmbedded() {
		if _, err := os.Stat(cfg.Store.Dir); errors.Is(err, fs.ErrNotExist) {
			return noStore(cfg)
		}
	}
	a := &app{}
	defer a.close()
	js, err := historyStream(ctx, a, cfg, log)
	if err != nil {
		return err
	}
	store, err := incident.OpenKVStore(ctx, js, cfg.Incidents.Bucket)
	if err != nil {
		return err
	}
	switch r.Action {
	case "list":
		all, err := store.List(ctx)
		if err != nil {
			return err
		}
		var shown []incident.Incident
		for _, in := range all {
			if r.All || in.Open() {
				shown = append(shown, in)
			}
		}
		if len(shown) == 0 {
			_, err := fmt.Fprintln(w, "no open incidents (--all shows the resolved ones too)")
			return err
		}
		slices.SortStableFunc(shown, func(a, b incident.Incident) int { return a.Started.Compare(b.Started) })
		return incident.WriteList(w, shown, r.Now)
	case "show":
		in, err := store.Find(ctx, r.ID)
		if err != nil {
			return err
		}
		return incident.WriteDetail(w, in, r.Now)
	case "ack", "resolve":
		return changeIncident(ctx, cfg, js, store, r, w)
	}
	return Invalidf("unknown incident action %q: want list, show, ack or resolve", r.Action)
}

// changeIncident acknowledges or resolves an incident and publishes its
// event to the audit trail.
func changeIncident(ctx context.Context, cfg *config.Config, js jetstream.JetStream, store *incident.KVStore, r IncidentRequest, w io.Writer) error {
	eng, err := BuildRules(cfg)
	if err != nil {
		return err
	}
	by := incident.Ack{By: r.By, Comment: r.Comment, At: r.Now.UTC()}
	ev, err := store.Change(ctx, r.ID, func(rec *incident.Record, id string) (event.Event, error) {
		if r.Action == "ack" {
			return rec.Acknowledge(id, by)
		}
		return rec.ResolveByHand(id, by)
	})
	if err != nil {
		return err
	}
	if in, err := store.Find(ctx, ev.Data.Text("incident")); err == nil {
		if f, ok, err := store.Follow(ctx, &in); err == nil && ok {
			maps.Copy(ev.Data.Fields, incident.FleetFields(f))
		}
	}
	st := cfg.Store
	outbox, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{MaxAge: st.Retention.MaxAge.Duration(),
		MaxBytes: int64(st.Retention.MaxBytes), DedupWindow: st.DedupWindow.Duration(), Replicas: st.Replicas})
	if err == nil {
		err = outbox.Publish(ctx, incidentEntries(eng, ev))
	}
	if err != nil {
		return fmt.Errorf("incident %s is %s, but its event is not in the audit trail, so no target hears of it: %w",
			ev.Data.Text("incident"), ev.Data.Text("state"), err)
	}
	_, err = fmt.Fprintln(w, event.Summary(ev))
	return err
}
