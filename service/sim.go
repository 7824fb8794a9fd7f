package service

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/omswatch/omswatch/oms/omssim"
)

// SimOptions are what `omswatch sim` serves: generated projects (Gen, a
// tick every Tick) or a recording, behind the given credentials.
type SimOptions struct {
	Gen        omssim.GeneratorOptions
	Tick       time.Duration
	Recording  string
	ReplayTime bool // replay by recorded time, not a tick per observation
	Speed      float64
	AccessKey  omssim.AccessKey
	Basic      omssim.BasicCredential
	Faults     []omssim.Fault
	Listen     string
	Logger     *slog.Logger
	// Started is told where the simulator listens and what it serves,
	// before the first request is taken.
	Started func(addr, what string, sc omssim.Scenario)
}

// Sim serves the simulator until ctx ends, then shuts down gracefully.
func Sim(ctx context.Context, o SimOptions) error {
	sc, what, err := simScenario(o, time.Now())
	if err != nil {
		return err
	}
	srv, err := omssim.New(omssim.Options{Scenario: sc, AccessKeys: []omssim.AccessKey{o.AccessKey},
		BasicAuth: []omssim.BasicCredential{o.Basic}, Faults: o.Faults, Seed: o.Gen.Seed, Tick: o.Tick, Logger: o.Logger})
	if err != nil {
		return Invalid(err)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if o.Started != nil {
		o.Started(ln.Addr().String(), what, sc)
	}
	o.Logger.Info("simulator started", "component", "sim", "address", ln.Addr().String(), "faults", omssim.FormatFaults(o.Faults))
	if err := srv.Serve(ctx, ln, o.Logger); err != nil {
		return err
	}
	o.Logger.Info("simulator stopped", "component", "sim")
	return nil
}

// WriteSimRecording writes ticks ticks of what the generator serves to
// path (0: one telling of the scenario's story, else 30) and returns how
// many it wrote.
func WriteSimRecording(o SimOptions, path string, ticks int64) (int64, error) {
	g, err := simGenerator(o, time.Time{})
	if err != nil {
		return 0, err
	}
	from, n := int64(0), int64(30)
	if o.Gen.Template != "" {
		from, n = g.Story()
	}
	n = cmp.Or(ticks, n)
	source := fmt.Sprintf("omssim://generator/%s?seed=%d", cmp.Or(o.Gen.Template, "mix"), o.Gen.Seed)
	if err := omssim.WriteRecordingFile(path, g, omssim.RecordOptions{From: from, Ticks: n, Tick: o.Tick,
		Seed: o.Gen.Seed, Source: source}); err != nil {
		return 0, Invalidf("--write-recording: %w", err)
	}
	return n, nil
}

// simGenerator builds the generated scenario, a tick standing for
// Gen.Step (default Tick) of simulated time from epoch.
func simGenerator(o SimOptions, epoch time.Time) (*omssim.Generator, error) {
	gen := o.Gen
	gen.Step, gen.Epoch = cmp.Or(gen.Step, o.Tick), epoch
	g, err := omssim.NewGenerator(gen)
	if err != nil {
		return nil, Invalid(err)
	}
	return g, nil
}

// simScenario builds what sim serves and a line describing it.
func simScenario(o SimOptions, now time.Time) (omssim.Scenario, string, error) {
	if o.Recording != "" {
		mode, by := omssim.ReplayStep, "step"
		if o.ReplayTime {
			mode, by = omssim.ReplayTime, "time"
		}
		r, obs, err := omssim.OpenRecording(o.Recording, omssim.ReplayOptions{Mode: mode, Speed: o.Speed})
		if err != nil {
			return nil, "", Invalid(fmt.Errorf("--recording: %w", err))
		}
		return r, fmt.Sprintf("replaying %s (%d projects, %d observations, by %s)", o.Recording, len(r.IDs()), len(obs), by), nil
	}
	g, err := simGenerator(o, now.UTC().Truncate(time.Second))
	if err != nil {
		return nil, "", err
	}
	what := "a mix of lifecycles"
	if o.Gen.Template != "" {
		what = "the " + o.Gen.Template + " lifecycle"
	}
	return g, fmt.Sprintf("serving %d generated projects (seed %d, %s, a tick every %s)", o.Gen.Projects, o.Gen.Seed, what, o.Tick), nil
}
