package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/lease"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
)

// simRegion is the region name of the built-in simulator's events
// (source oms://omssim).
const simRegion = "omssim"

// app is the wired components of a poll run; close stops them in reverse
// order of starting.
type app struct {
	poller   *poller.Poller
	api      *omsapi.Client
	delivery *delivery
	// store is the snapshot store, which delivery.Tick reads.
	store poller.Store
	// source is where the projects live (oms://<region>, ...).
	source string
	// leases share the projects with other replicas, and dispatch says
	// which replica delivers the outbox; both nil without ha (see ha.go).
	leases, dispatch *lease.Set
	closers          []func()

	// heartbeat beats while polls succeed (run only; nil without one).
	heartbeat *heartbeat
	// digest posts the fleet digest on digest.cron (run only; nil without
	// digest.to).
	digest *digester
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// wireOptions are what a command adds to the configuration.
type wireOptions struct {
	recorder omsapi.Recorder
	log      *slog.Logger
	// red masks secrets in logs and errors; wire adds the configuration's
	// secrets to it (nil: a redactor of wire's own).
	red *secret.Redactor
	// stdout is where the log target writes, in logFormat (json or text).
	stdout    io.Writer
	logFormat string

	// js, when set, is the NATS the components use (run keeps one
	// connection across reloads); else wire connects as cfg says.
	js jetstream.JetStream
	// simulator, when set, gives the built-in simulator's endpoint when
	// oms.mode is sim (run keeps one simulator across reloads);
	// else wire starts one of its own.
	simulator func(ctx context.Context) (string, error)
	// ha builds the leases cfg.HA asks for (run only: once polls every
	// project).
	ha bool
	// echoes, when set, is shared with the console's watch of the
	// snapshot store (see poller.Echoes).
	echoes *poller.Echoes
	// The observers of the stages (metrics); each may be nil.
	pollObserver     poller.Observer
	deliveryObserver sinks.Observer
	pipeObserver     pipelineObserver
	// digested counts the digests' outcomes (nil: not counted).
	digested func(ok bool)
	// pollAtStart and stopGrace are the poller's (see poller.Options).
	pollAtStart bool
	stopGrace   time.Duration
}

// wire builds OMS client, NATS, snapshot store, the delivery (rules,
// outbox, targets), the leases and the poller from cfg. On error
// everything started is stopped again. The caller starts a.delivery
// before polling.
func wire(ctx context.Context, cfg *config.Config, o wireOptions) (_ *app, err error) {
	a := &app{}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	red := o.red
	if red == nil {
		red = &secret.Redactor{}
	}
	red.Add(cfg.Secrets()...)
	omsCfg, err := a.omsConfig(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	a.api, err = omsapi.FromConfig(omsCfg, omsapi.Options{Recorder: o.recorder, Redactor: red, Logger: o.log})
	if err != nil {
		return nil, err
	}
	a.source = a.api.Source()
	js := o.js
	if js == nil {
		if js, err = a.jetStream(ctx, cfg, o.log); err != nil {
			return nil, err
		}
	}
	store, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: cfg.Store.Bucket, Replicas: cfg.Store.Replicas, Echoes: o.echoes})
	if err != nil {
		return nil, err
	}
	a.store = store
	a.delivery, err = newDelivery(ctx, cfg, js, deliveryOptions{stdout: o.stdout, logFormat: o.logFormat, red: red,
		log: o.log, observer: o.deliveryObserver, pipeObserver: o.pipeObserver, source: a.source})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.delivery.Close)
	if o.ha && cfg.HA.Enabled {
		if err := a.wireLeases(ctx, cfg, js, o.log); err != nil {
			return nil, err
		}
	}
	if err := a.wireDigest(cfg, js, o); err != nil {
		return nil, err
	}
	opts := pollerOptions(cfg, a.source)
	opts.Fetcher, opts.Lister, opts.Store, opts.Handler = a.api, a.api, store, a.delivery.Handler()
	opts.Logger, opts.Redactor, opts.Observer = o.log, red, o.pollObserver
	if hb := cfg.Heartbeat; o.ha && len(hb.To) > 0 {
		a.heartbeat = &heartbeat{every: hb.Every.Duration(), to: hb.To, source: a.source, outbox: a.delivery.outbox,
			next: o.pollObserver, log: o.log.With("component", "heartbeat")}
		opts.Observer = a.heartbeat
	}
	opts.PollAtStart, opts.StopGrace = o.pollAtStart, o.stopGrace
	// Conditions over time (a stall, a worker about to expire) hold
	// without any change: every quiet poll hands its snapshot on to them.
	opts.Reevaluate = len(a.delivery.eng.Config().Conditions) > 0 ||
		cfg.Incidents.Enabled // an incident resolves after resolve_hold quiet polls
	if a.leases != nil {
		opts.Leases = a.leases
	}
	a.poller, err = poller.New(opts)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// describeShare is the share of the account's request rate that two-tier
// spends by default on describing projects whose list entry already shows
// their state (1/5): the rest reads the fleet, so that a fleet too big to
// describe every change still has every change seen within a cycle or two
// (docs/PERFORMANCE.md, 100,000 projects).
const describeShare = 5

// pollerOptions maps the discovery and schedule sections.
func pollerOptions(cfg *config.Config, source string) poller.Options {
	d, s := cfg.Discovery, cfg.Schedule
	o := poller.Options{
		Source: source, Projects: d.Projects, DiscoveryRefresh: d.List.Refresh, Mode: poller.Mode(d.Mode),
		DescribeRefresh: d.DescribeRefresh.Duration(), DescribeAlways: d.DescribeAlwaysProjects,
		DescribeRate:     cmp.Or(d.DescribeRate, cfg.OMS.QPS/describeShare),
		FailureThreshold: s.FailureThreshold,
		Schedule:         poller.Schedule{Default: s.Default, Location: s.Location(), Jitter: s.Jitter.Duration()},
	}
	for _, g := range s.Groups {
		o.Schedule.Groups = append(o.Schedule.Groups, poller.Group{Name: g.Name, Spec: g.Spec,
			Match: poller.GroupMatch{Importance: g.Match.Importance, Labels: g.Match.Labels, Projects: g.Match.Projects}})
	}
	l := d.List
	if l.Enabled || (cfg.OMS.Simulated() && len(d.Projects) == 0) {
		// The simulator demo watches every project it serves.
		o.List = &oms.ListQuery{Types: l.Types, Statuses: l.Statuses, LabelIDs: l.LabelIDs, SearchKey: l.SearchKey,
			SourceEndpointTypes: l.SourceEndpointTypes, SinkEndpointTypes: l.SinkEndpointTypes, PageSize: l.PageSize}
	}
	return o
}

// omsConfig is the OMS to poll: the configured one, or (oms.mode sim)
// the built-in simulator's cloud API with the demo keys, started here
// unless the caller keeps one.
func (a *app) omsConfig(ctx context.Context, cfg *config.Config, wo wireOptions) (omsapi.Config, error) {
	o := cfg.OMS
	if !o.Simulated() {
		return o, nil
	}
	start := wo.simulator
	if start == nil {
		start = func(ctx context.Context) (string, error) { return a.startSimulator(ctx, simSettings{}, wo.log) }
	}
	endpoint, err := start(ctx)
	if err != nil {
		return o, err
	}
	o.Mode, o.Region, o.Endpoint = omsapi.ModeCloud, simRegion, endpoint
	o.Credentials, o.AccessKeyID, o.AccessKeySecret = omsapi.CredentialsStatic, omssim.DemoAccessKeyID, secret.New(omssim.DemoAccessKeySecret)
	o.TLS = setting.TLS{}
	return o, nil
}

// simSettings shape the built-in simulator; zero values are its defaults
// (20 projects, a tick every 2s).
type simSettings struct {
	projects int
	tick     time.Duration
	// epoch is when tick 0 was, in simulated and in real time (zero: the
	// generator's fixed one and now, so that once's snapshots stay the
	// same between runs).
	epoch time.Time
}

// startSimulator serves the built-in simulator (generated projects, seed
// 1, demo credentials) on a free loopback port.
func (a *app) startSimulator(_ context.Context, s simSettings, log *slog.Logger) (string, error) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 1, Projects: s.projects, Step: s.tick, Epoch: s.epoch})
	if err != nil {
		return "", err
	}
	srv, err := omssim.New(omssim.Options{Scenario: g, Seed: 1, Tick: s.tick, Start: s.epoch,
		AccessKeys: []omssim.AccessKey{{ID: omssim.DemoAccessKeyID, Secret: omssim.DemoAccessKeySecret}}})
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("built-in simulator: %w", err)
	}
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { _ = srv.Serve(sctx, ln, log); close(served) }()
	a.closers = append(a.closers, func() { stop(); <-served })
	log.Info("oms.mode sim: polling the built-in simulator", "component", "wire", "address", ln.Addr().String())
	return "http://" + ln.Addr().String(), nil
}

// jetStream connects to NATS: the embedded server (started here, JetStream
// under store.dir) when nats.url is empty, else the external one.
func (a *app) jetStream(ctx context.Context, cfg *config.Config, log *slog.Logger) (jetstream.JetStream, error) {
	n := cfg.NATS
	co := n.Conn()
	co.Logger = log
	if n.IsEmbedded() {
		srv, err := natsembed.Start(ctx, natsembed.ServerOptions{Host: n.Embedded.Host, Port: n.Embedded.Port,
			StoreDir: cfg.Store.Dir, MaxPayload: int32(n.Embedded.MaxPayload), AllowNonLoopback: n.Embedded.AllowNonLoopback, Logger: log})
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		})
		co = natsembed.ConnOptions{URL: srv.ClientURL(), Logger: log}
	}
	// A connect timeout of its own: nats.go's default 2s is short for a
	// busy machine or a remote cluster, and ctx usually has no deadline.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nc, err := natsembed.Connect(cctx, co)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { _ = nc.Drain(); waitClosed(nc) })
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, errors.Join(errors.New("jetstream"), err)
	}
	return js, nil
}

// waitClosed waits (briefly) for a draining connection to close, so the
// embedded server is not shut down under it.
func waitClosed(nc *nats.Conn) {
	for i := 0; i < 100 && !nc.IsClosed(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
}
