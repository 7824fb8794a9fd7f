package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/lease"
	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/sinks/slack"
)

// Service is what Run keeps for the life of the process: the NATS
// connection (and the embedded server), the built-in simulator, the HTTP
// server and the metrics; and the running generation, the components
// built from one configuration, which a reload replaces.
type Service struct {
	o       Options
	root    *slog.Logger // every component adds its name
	log     *slog.Logger // run's own
	metrics *metrics

	base     *app // owns NATS and the simulator; closed last
	js       jetstream.JetStream
	nc       *nats.Conn
	natsURL  string
	httpAddr string
	httpSrv  *http.Server
	console  *webConsole         // nil when http.console.enabled is false
	slackAct *slack.Interactions // the Slack buttons: HTTP with slack.signing_secret, Socket Mode with slack.app_token
	socket   *slackSocket        // nil without slack.app_token
	simURL   string
	storeDir string // where the embedded server keeps its store ("": external NATS)
	rec      omsapi.Recorder
	recClose func()

	mu  sync.Mutex
	cur *generation

	watchMu sync.Mutex
	watched *config.Config // whose files watchFiles checks
}

// open starts what outlives reloads: NATS, the simulator when the
// configuration's oms.mode is sim, the recorder and the HTTP server.
func (s *Service) open(ctx context.Context, cfg *config.Config) error {
	s.base = &app{}
	if cfg.NATS.IsEmbedded() {
		s.storeDir = cfg.Store.Dir
	}
	js, err := s.base.jetStream(ctx, cfg, s.root)
	if err != nil {
		return fmt.Errorf("NATS: %w", err)
	}
	s.js, s.nc = js, js.Conn()
	s.natsURL = s.nc.ConnectedUrlRedacted()
	rec, recClose, err := openRecorder(s.o.Record)
	if err != nil {
		return err
	}
	s.rec, s.recClose = rec, recClose
	if s.slackAct, err = s.openSlackInteractions(cfg, time.Now); err != nil {
		return err
	}
	if cfg.HTTP.Listen != "" {
		if cfg.HTTP.Console.Enabled {
			if s.console, err = s.openConsole(ctx, cfg); err != nil {
				return err
			}
		}
		if err := s.serveHTTP(cfg.HTTP.Listen); err != nil {
			return err
		}
	}
	return nil
}

// simulator starts the built-in simulator the first time a configuration
// with oms.mode sim needs it; later generations poll the same one.
func (s *Service) simulator(ctx context.Context) (string, error) {
	if s.simURL != "" {
		return s.simURL, nil
	}
	// Simulated time is wall time, so that conditions over it (the
	// checkpoint's age, the worker's expiry) see what a real OMS shows;
	// and it goes on from where the data was made, so a restart sees the
	// projects as they are now, not back at their start.
	epoch := s.simEpoch(time.Now())
	u, err := s.base.startSimulator(ctx, simSettings{projects: s.o.SimProjects, tick: s.o.SimTick, epoch: epoch}, s.root)
	if err != nil {
		return "", err
	}
	s.simURL = u
	return u, nil
}

// close stops what open started, NATS last but one and the simulator last.
func (s *Service) close() {
	if s.httpSrv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.httpSrv.Shutdown(sctx)
		cancel()
	}
	s.stopSlackSocket()
	if s.slackAct != nil {
		s.slackAct.Wait() // the button presses under way, before NATS closes
	}
	s.console.close()
	if s.base != nil {
		s.base.close()
	}
	if s.recClose != nil {
		s.recClose()
	}
}

func (s *Service) current() *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *Service) setCurrent(g *generation) {
	s.mu.Lock()
	s.cur = g
	s.mu.Unlock()
}

// state is the metrics' view of the running generation.
func (s *Service) state() runState {
	if g := s.current(); g != nil {
		return g
	}
	return nil
}

// ready says why the replica is not ready, or nil: NATS connected, OMS
// accepting the credentials, the first poll cycle done.
func (s *Service) ready() error {
	if st := s.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("NATS is %s", st)
	}
	g := s.current()
	if g == nil {
		return errors.New("not polling: no configuration could start")
	}
	if err := g.a.poller.Ready(); err != nil {
		return err
	}
	if g.a.poller.Cycles() == 0 {
		return errors.New("the first poll cycle has not finished yet")
	}
	return nil
}

// wire builds a generation's components on the service's NATS and
// simulator.
func (s *Service) wire(ctx context.Context, cfg *config.Config) (*app, error) {
	return wire(ctx, cfg, wireOptions{recorder: s.rec, log: s.root, red: s.o.Redactor, stdout: s.o.Stdout, logFormat: s.o.Format,
		js: s.js, simulator: s.simulator, ha: true, echoes: s.console.echoesFor(cfg.Store.Bucket),
		pollObserver: s.metrics, deliveryObserver: s.metrics, pipeObserver: s.metrics, digested: s.metrics.Digested,
		pollAtStart: true, stopGrace: s.o.ShutdownTimeout / 2})
}

// start wires cfg and runs it.
func (s *Service) start(ctx context.Context, cfg *config.Config) (*generation, error) {
	a, err := s.wire(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, cfg, a)
}

// generation is the components of one configuration, running.
type generation struct {
	cfg *config.Config
	a   *app
	log *slog.Logger

	stopPolls    context.CancelFunc // the poller
	stopDispatch context.CancelFunc // the dispatcher (under its lease, with ha)
	stopLeases   context.CancelFunc
	polls        sync.WaitGroup
	dispatch     sync.WaitGroup
	leases       sync.WaitGroup

	drainMu sync.Mutex
	drain   context.Context // the shutdown's deadline, set by stop
}

// run starts a wired generation: the rules, the leases (ha), the
// dispatcher (under its lease with ha) and the poller. Its goroutines run until stop, not until ctx ends: stop drains
// them in order.
func (s *Service) run(ctx context.Context, cfg *config.Config, a *app) (*generation, error) {
	g := &generation{cfg: cfg, a: a, log: s.log, drain: context.Background()}
	if err := a.delivery.StartRules(ctx); err != nil {
		a.close()
		return nil, err
	}
	if a.leases != nil {
		// The dispatcher starts when this replica gets its lease, maybe
		// never; the targets' consumers must exist before this replica
		// publishes, or a fresh deployment's first events are skipped.
		if err := a.delivery.EnsureConsumers(ctx); err != nil {
			a.close()
			return nil, err
		}
	}
	bg := context.WithoutCancel(ctx)
	pollCtx, stopPolls := context.WithCancel(bg)
	dispCtx, stopDispatch := context.WithCancel(bg)
	leaseCtx, stopLeases := context.WithCancel(bg)
	g.stopPolls, g.stopDispatch, g.stopLeases = stopPolls, stopDispatch, stopLeases
	if a.leases != nil {
		for _, l := range []*lease.Set{a.leases, a.dispatch} {
			g.leases.Go(func() { _ = l.Run(leaseCtx) })
		}
		g.dispatch.Go(func() {
			a.dispatchUnderLease(dispCtx, leaseCtx, g.drainContext, s.root.With("component", "dispatcher"))
		})
	} else if err := a.delivery.StartDispatcher(leaseCtx); err != nil {
		stopPolls()
		stopDispatch()
		stopLeases()
		a.close()
		return nil, err
	}
	g.polls.Go(func() {
		if err := a.poller.Run(pollCtx); err != nil {
			s.log.Error("the poller stopped", "error", err)
		}
	})
	if a.heartbeat != nil {
		g.polls.Go(func() { a.heartbeat.run(pollCtx, a.poller) })
	}
	if a.digest != nil {
		g.polls.Go(func() { a.digest.run(pollCtx) })
	}
	return g, nil
}

// drainContext is the deadline a stopping dispatcher delivers within.
func (g *generation) drainContext() (context.Context, context.CancelFunc) {
	g.drainMu.Lock()
	defer g.drainMu.Unlock()
	return context.WithCancel(g.drain)
}

// stop ends the generation in order, within dctx: no new poll starts and
// the polls in flight finish (their events reach the outbox); then the
// dispatcher delivers what the outbox holds and stops; then the leases are
// handed back, so other replicas take over at once; then the rest closes.
func (g *generation) stop(dctx context.Context) {
	g.drainMu.Lock()
	g.drain = dctx
	g.drainMu.Unlock()
	g.stopPolls()
	g.polls.Wait()
	if err := g.a.delivery.FlushObservations(dctx); err != nil {
		g.log.Warn("the observation log misses the last quiet polls; a backtest sees a gap", "error", err)
	}
	if g.a.leases == nil {
		if err := g.a.delivery.StopDispatcher(dctx); err != nil {
			g.log.Warn("not everything was delivered; it stays in the outbox for the next start", "error", err)
		}
	}
	g.stopDispatch()
	g.dispatch.Wait()
	g.stopLeases()
	g.leases.Wait()
	g.a.close()
}

// Watched is how many projects the generation's poller knows (runState).
func (g *generation) Watched() int { return g.a.poller.Watched() }

// Owns reports whether this replica polls project (runState).
func (g *generation) Owns(project string) bool {
	return g.a.leases == nil || g.a.leases.Owns(project)
}

// LeasesHeld is how many project lease shards this replica holds.
func (g *generation) LeasesHeld() int {
	if g.a.leases == nil {
		return 0
	}
	return g.a.leases.Stats().Held
}

// Throttled counts the throttling answers of this generation's API.
func (g *generation) Throttled() int64 { return g.a.api.Stats().Throttled }

// apiCalls is what this generation asked OMS (describes, list pages) and
// the changes its poller took from list entries for want of describes.
func (g *generation) apiCalls() (describes, pages, fromList int64) {
	c := g.a.api.Stats().Calls
	return c[omsapi.ActionDescribeProject], c[omsapi.ActionListProjects], g.a.poller.FromList()
}

// Paused reports whether the poller paused because OMS refuses the account.
func (g *generation) Paused() bool { return g.a.poller.Paused() }

// Backlog reads every target's outbox backlog from the server.
func (g *generation) Backlog(ctx context.Context) map[string]uint64 {
	out := map[string]uint64{}
	for _, name := range g.a.delivery.TargetNames() {
		n, err := g.a.delivery.outbox.Backlog(ctx, name)
		if err != nil {
			continue // a scrape must not fail on one slow read
		}
		out[name] = n
	}
	return out
}
