package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/console"
	"github.com/omswatch/omswatch/incident"
)

// consoleIncidents is the incident bucket as the console's incidents page
// reads it, and its acknowledgements: the path of `omswatch incident ack`
// (and of the Slack button), with the console's user as who.
type consoleIncidents struct {
	acts slackActions
}

// List reads every incident, in the console's words; no bucket yet means
// no incident was recorded.
func (ci consoleIncidents) List(ctx context.Context) ([]console.Incident, error) {
	cfg := ci.acts.cfg()
	if _, err := ci.acts.js.KeyValue(ctx, cfg.Incidents.Bucket); errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	store, err := incident.OpenKVStore(ctx, ci.acts.js, cfg.Incidents.Bucket)
	if err != nil {
		return nil, err
	}
	all, err := store.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the incidents: %w", err)
	}
	return consoleIncidentRows(all), nil
}

// consoleIncidentRows turns incidents into the console's rows; a fleet
// incident's projects are the projects of the incidents that name it.
func consoleIncidentRows(all []incident.Incident) []console.Incident {
	fleets := map[string][]string{}
	for _, in := range all {
		if in.Fleet != "" {
			fleets[in.Fleet] = append(fleets[in.Fleet], in.Project.ID)
		}
	}
	out := make([]console.Incident, 0, len(all))
	for _, in := range all {
		row := console.Incident{ID: in.ID, Source: in.Source, ProjectID: in.Project.ID, ProjectName: in.Project.Name,
			Cause: in.Cause.Key(), Title: in.Title(), State: string(in.State), Severity: string(in.Severity),
			Started: in.Started, Ended: in.Ended, Reason: in.Reason, Fleet: in.Fleet}
		if in.Ack != nil {
			row.AckBy, row.AckComment, row.AckAt = in.Ack.By, in.Ack.Comment, in.Ack.At
		}
		if in.Resolver != nil {
			row.ResolvedBy = in.Resolver.By
		}
		if ps := fleets[in.Fleet]; in.Fleet != "" {
			row.FleetTitle = "on " + strconv.Itoa(len(ps)) + " projects:"
			for _, p := range ps {
				if p != in.Project.ID {
					row.FleetProjects = append(row.FleetProjects, p)
				}
			}
		}
		out = append(out, row)
	}
	return out
}

// Acknowledge is `omswatch incident ack ID --by by --comment comment`.
func (ci consoleIncidents) Acknowledge(ctx context.Context, id, by, comment string) error {
	_, err := ci.acts.Acknowledge(ctx, id, by, comment)
	return err
}

// consoleIncidentsOf is what the console gets: nil when incidents are off
// (its page then says how to turn them on).
func (s *Service) consoleIncidentsOf(cfg *config.Config) console.Incidents {
	if !cfg.Incidents.Enabled {
		return nil
	}
	return consoleIncidents{acts: s.actions(cfg)}
}
