package service

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/console"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/sinks"
)

// webConsole is the console's share of the service: what it reads (the
// snapshot store, the audit trail, the silences, all on the process's
// NATS connection) and the watch that keeps its fleet index current.
type webConsole struct {
	c      *console.Console
	live   *console.Live
	cancel context.CancelFunc
	sub    *nats.Subscription
	// echoes are the records the poller writes, handed to the watch of
	// the fleet index as they were written rather than decoded again
	// (while the poller writes the bucket the console watches).
	echoes *poller.Echoes
	bucket string
}

// echoesFor returns the echoes for a poller writing the snapshot store
// bucket: nil when the console does not watch that bucket (it was
// opened on another one, which a reload does not change), so that
// nothing keeps records no watch takes.
func (wc *webConsole) echoesFor(bucket string) *poller.Echoes {
	if wc == nil || wc.bucket != bucket {
		return nil
	}
	return wc.echoes
}

// openConsole builds the console over the same store and streams the CLI
// reads. It outlives reloads (like the HTTP server): a reload that changes
// the store's bucket takes effect at the next start.
func (s *Service) openConsole(ctx context.Context, cfg *config.Config) (*webConsole, error) {
	cc := cfg.HTTP.Console
	open := console.IsLoopback(cfg.HTTP.Listen)
	if !open && len(cc.Users) == 0 && cc.BearerToken.IsZero() && len(cc.TrustedProxies) == 0 {
		// Metrics and health stay served: a container listening on
		// 0.0.0.0 keeps working, without a console open to everyone.
		s.log.Warn("the web console is off: http.listen is not a loopback address and http.console has no users, bearer_token or trusted_proxies",
			"listen", cfg.HTTP.Listen)
		return nil, nil
	}
	proxies, err := console.ParseProxies(cc.TrustedProxies)
	if err != nil {
		return nil, Invalid(fmt.Errorf("http.console.trusted_proxies: %w", err))
	}
	echoes := poller.NewEchoes()
	store, err := poller.NewKVStore(ctx, s.js, poller.KVOptions{Bucket: cfg.Store.Bucket, Replicas: cfg.Store.Replicas, Echoes: echoes})
	if err != nil {
		return nil, err
	}
	sil, err := kvstate.NewSilences(ctx, s.js, kvstate.Options{Bucket: cfg.Rules.SilenceBucket, Replicas: cfg.Store.Replicas})
	if err != nil {
		return nil, err
	}
	wc := &webConsole{live: console.NewLive(), echoes: echoes, bucket: cfg.Store.Bucket}
	fleet := console.NewFleet()
	trail := auditTrail{js: s.js, cfg: cfg, log: s.root.With("component", "console")}
	c, err := console.New(console.Options{Fleet: fleet, Live: wc.live, History: trail,
		Snapshots: snapshots{store}, Telemetry: observedTelemetry{s.js}, Silences: sil, Audit: trail, Incidents: s.consoleIncidentsOf(cfg),
		Thresholds: delayThresholds(cfg),
		Logger:     s.root, Auth: console.Auth{Users: cc.Users, BearerToken: cc.BearerToken.Reveal(), BearerUser: cc.BearerUser,
			TrustedProxies: proxies, OpenReads: open}})
	if err != nil {
		return nil, Invalid(err)
	}
	wc.c = c
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	wc.cancel = cancel
	log := s.root.With("component", "console")
	err = store.Watch(wctx, func(source, project string, rec poller.Record, deleted bool, err error) {
		switch {
		case err != nil:
			log.Warn("a stored snapshot cannot be shown", "project", project, "error", err)
		case deleted:
			fleet.Remove(project)
		case rec.Snapshot != nil:
			row := console.RowOf(source, rec.Snapshot, rec.ObservedAt)
			row.Removed = rec.Removed
			fleet.Update(row)
		}
	}, fleet.Loaded)
	if err != nil {
		cancel()
		return nil, err
	}
	// Every event the outbox stores is also seen by core subscribers: the
	// live pages get them from whichever replica published, while one is
	// open.
	wc.live.OnWatch(func(watched bool) { wc.follow(s.nc, watched, log) })
	return wc, nil
}

// follow subscribes to the events while a page follows them, and
// unsubscribes when none does. The live calls it in order.
func (wc *webConsole) follow(nc *nats.Conn, watched bool, log *slog.Logger) {
	if !watched {
		if wc.sub != nil {
			_ = wc.sub.Unsubscribe()
			wc.sub = nil
		}
		return
	}
	if wc.sub != nil {
		return
	}
	sub, err := nc.Subscribe(sinks.DefaultPrefix+".>", func(m *nats.Msg) {
		if e, err := sinks.DecodeEvent(m.Data); err == nil {
			wc.live.Publish(e)
		}
	})
	if err == nil {
		// The server has the subscription before the page says it is live.
		if err = nc.FlushTimeout(time.Second); err != nil {
			_ = sub.Unsubscribe() // not kept: tried again when pages next start following
		}
	}
	if err != nil {
		log.Warn("the console's live pages cannot follow the audit trail; reload them for new events", "error", err)
		return
	}
	wc.sub = sub
}

func (wc *webConsole) close() {
	if wc == nil {
		return
	}
	wc.live.OnWatch(nil) // under the live's lock: no follow runs after it
	if wc.sub != nil {
		_ = wc.sub.Unsubscribe()
	}
	wc.live.Close()
	wc.cancel()
}

// auditTrail is the audit stream as the console reads and writes it,
// with the decision records of each event, in the words `omswatch
// history` uses.
type auditTrail struct {
	js  jetstream.JetStream
	cfg *config.Config
	log *slog.Logger
}

func (a auditTrail) Events(ctx context.Context, project string, since time.Time) ([]console.Stored, error) {
	evs, err := sinks.History(ctx, a.js, sinks.HistoryQuery{Project: project, Since: since})
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	// A condition's state depends on its changes before the window: read
	// them all (they are few), the deliveries since the window's start.
	recs, err := sinks.Records(ctx, a.js, sinks.RecordQuery{Project: project, Kind: sinks.RecordCondition})
	if err != nil {
		return nil, err
	}
	deliveries, err := sinks.Records(ctx, a.js, sinks.RecordQuery{Project: project, Kind: sinks.RecordDelivery, Since: since})
	if err != nil {
		return nil, err
	}
	t := newTrail(project, evs, append(recs, deliveries...), a.log)
	t.Display = targetDisplay(a.cfg)
	out := make([]console.Stored, len(t.Events))
	for i := range t.Events {
		te := &t.Events[i]
		out[i] = console.Stored{Seq: te.Seq, Event: te.Event, Decisions: t.whereWent(te)}
	}
	return out, nil
}

// Record stores a console action in the audit stream, addressed to no
// target: the trail keeps it, nothing is sent.
func (a auditTrail) Record(ctx context.Context, e event.Event) error {
	data, err := e.JSON()
	if err != nil {
		return fmt.Errorf("encode %s: %w", e.Type, err)
	}
	m := nats.NewMsg(sinks.EventSubject(sinks.DefaultPrefix, e.Source, e.Subject, e.Type))
	m.Header.Set(jetstream.MsgIDHeader, e.ID)
	m.Header.Set(sinks.HeaderContentType, event.StructuredContentType)
	m.Data = data
	if _, err := a.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("record %s in the audit trail: %w", e.Type, err)
	}
	return nil
}

// snapshots reads the store the poller writes.
type snapshots struct{ store *poller.KVStore }

func (s snapshots) Snapshot(ctx context.Context, source, project string) (*oms.Snapshot, error) {
	rec, err := s.store.Get(ctx, source, project)
	if err != nil {
		return nil, err
	}
	if rec.Snapshot == nil {
		return nil, fmt.Errorf("project %s has no stored snapshot (removed)", project)
	}
	return rec.Snapshot, nil
}

// delayThresholds finds the delays the conditions compare the sync delay
// with (project.SyncDelay > duration("60s")), and the importance their
// while restricts them to, for the chart to draw.
func delayThresholds(cfg *config.Config) []console.Threshold {
	delay := regexp.MustCompile(`SyncDelay\s*>=?\s*duration\("([^"]+)"\)`)
	imp := regexp.MustCompile(`Importance\s*==\s*"([A-Za-z]+)"`)
	var out []console.Threshold
	for _, c := range cfg.Rules.Conditions {
		m := delay.FindStringSubmatch(c.Expr.Text)
		if m == nil {
			continue
		}
		d, err := time.ParseDuration(m[1])
		if err != nil {
			continue
		}
		t := console.Threshold{Condition: c.Name, Delay: d}
		if im := imp.FindStringSubmatch(c.While.Text); im != nil {
			t.Importance = im[1]
		}
		out = append(out, t)
	}
	return out
}
