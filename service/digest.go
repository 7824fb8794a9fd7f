package service

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/sinks"
)

// DigestRequest is one `omswatch digest` command.
type DigestRequest struct {
	// Now is the time of the digest; Since where its "opened" and
	// "resolved" begin (zero: a day before Now).
	Now, Since time.Time
	// JSON prints the digest's data (the oms.watch.digest event's) as
	// JSON instead of text.
	JSON bool
}

// DigestRequestOf checks the flags of `omswatch digest` (--format,
// --since) and makes its request; its errors are the input's (ErrInvalid).
func DigestRequestOf(format, since string, now time.Time) (DigestRequest, error) {
	r := DigestRequest{Now: now, JSON: format == "json"}
	if format != "text" && format != "json" {
		return r, Invalidf("--format %q: want text or json", format)
	}
	if since != "" {
		t, err := ParseSince(since, now)
		if err != nil {
			return r, Invalid(err)
		}
		r.Since = t
	}
	return r, nil
}

// digestDay is how far back `omswatch digest` looks for the incidents
// opened and resolved, there being no previous digest to start from.
const digestDay = 24 * time.Hour

// Digest prints the fleet digest as of now from the store where the
// configuration keeps it (as History reaches it: a running omswatch's
// server, which is never opened a second time, nats.url, or the store
// opened here).
func Digest(ctx context.Context, cfg *config.Config, r DigestRequest, w io.Writer, log *slog.Logger) error {
	a := &app{}
	defer a.close()
	js, err := openTrail(ctx, a, cfg, log)
	if err != nil {
		return err
	}
	if r.Since.IsZero() {
		r.Since = r.Now.Add(-digestDay)
	}
	d, err := collectDigest(ctx, js, cfg, r.Now, r.Since)
	if err != nil {
		return err
	}
	if r.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	return WriteDigest(w, d, r.Now)
}

// collectDigest reads what a digest is made of, the same way for `run`
// and the command: the projects' last snapshots (the snapshot bucket),
// their incidents (the incidents bucket), their last changes (the audit
// trail) and the delay samples of the lagging ones (the rules state).
func collectDigest(ctx context.Context, js jetstream.JetStream, cfg *config.Config, now, since time.Time) (event.Digest, error) {
	fleet, err := fleetOf(ctx, js, cfg.Store.Bucket)
	if err != nil {
		return event.Digest{}, err
	}
	if err := lastChanges(ctx, js, fleet); err != nil {
		return event.Digest{}, err
	}
	if err := delaySamples(ctx, js, cfg.Rules.StateBucket, fleet); err != nil {
		return event.Digest{}, err
	}
	incs, err := digestIncidents(ctx, js, cfg)
	if err != nil {
		return event.Digest{}, err
	}
	return incident.Summarize(incident.DigestInput{Now: now, Since: since, Projects: fleet, Incidents: incs,
		IncidentsOn: cfg.Incidents.Enabled, QuietAfter: cfg.Digest.QuietAfter.Duration()}), nil
}

// fleetOf reads every watched project's last snapshot (tombstones of
// projects gone are left out), by source and id.
func fleetOf(ctx context.Context, js jetstream.JetStream, bucket string) ([]incident.FleetProject, error) {
	store, err := poller.OpenKVStore(ctx, js, bucket)
	if err != nil {
		return nil, err
	}
	var fleet []incident.FleetProject
	err = store.Each(ctx, func(source, _ string, rec poller.Record, deleted bool, err error) {
		if err != nil || deleted || rec.Removed || rec.Snapshot == nil {
			return // a record that does not decode is no project to count
		}
		fleet = append(fleet, incident.FleetProject{Source: source, Project: rec.Snapshot.Project()})
	})
	slices.SortFunc(fleet, func(a, b incident.FleetProject) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Project.ID, b.Project.ID))
	})
	return fleet, err
}

// lastChanges sets each project's last change: the time of its newest
// event in the audit trail (one direct read of the last message on the
// project's subjects), zero when the trail keeps none.
func lastChanges(ctx context.Context, js jetstream.JetStream, fleet []incident.FleetProject) error {
	st, err := js.Stream(ctx, sinks.DefaultStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil // no event was ever stored: no change is known
	}
	if err != nil {
		return fmt.Errorf("digest: audit trail: %w", err)
	}
	for i := range fleet {
		p := &fleet[i]
		subject := sinks.EventSubject(sinks.DefaultPrefix, p.Source, p.Project.ID, ">")
		m, err := st.GetLastMsgForSubject(ctx, subject)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("digest: last event of %s: %w", p.Project.ID, err)
		}
		if e, err := sinks.DecodeEvent(m.Data); err == nil {
			p.Changed = e.Time
		}
	}
	return nil
}

// delaySamples sets the delay samples the rules keep of each project that
// lags a minute or more (the others get no ETA): the rules state of a few
// projects, read where the service wrote it.
func delaySamples(ctx context.Context, js jetstream.JetStream, bucket string, fleet []incident.FleetProject) error {
	var st *kvstate.Store
	for i := range fleet {
		p := &fleet[i]
		if !p.Project.SyncDelayKnown || p.Project.SyncDelay < incident.MinDelay {
			continue
		}
		if st == nil {
			var err error
			if st, err = kvstate.OpenStore(ctx, js, bucket); err != nil || st == nil {
				return err // no bucket: the rules never kept a sample
			}
		}
		state, err := st.Load(ctx, p.Source, p.Project.ID)
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		p.Delays = state.Delays
	}
	return nil
}

// digestIncidents reads every incident the bucket keeps; none when
// incidents are off or none was ever recorded.
func digestIncidents(ctx context.Context, js jetstream.JetStream, cfg *config.Config) ([]incident.Incident, error) {
	if !cfg.Incidents.Enabled {
		return nil, nil
	}
	if _, err := js.KeyValue(ctx, cfg.Incidents.Bucket); errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	store, err := incident.OpenKVStore(ctx, js, cfg.Incidents.Bucket)
	if err != nil {
		return nil, err
	}
	return store.List(ctx)
}
