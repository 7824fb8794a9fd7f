package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/service"
)

// simOptions are the flags of `omswatch sim`. Scripts rely on --listen,
// --projects, --seed, --access-key-id, --access-key-secret, --basic-auth,
// --recording and --faults: keep their names and meaning.
type simOptions struct {
	listen      string
	gen         omssim.GeneratorOptions // Seed, Projects, Template, MaxTables, BigTables, Step
	akID        string
	akSecret    string
	basicAuth   string
	recording   string
	faults      string
	allowRemote bool

	tick       time.Duration
	replayMode string
	speed      float64

	writeRecording string
	ticks          int64
}

// simConfig is simOptions checked and parsed.
type simConfig struct {
	opts simOptions
	sim  service.SimOptions
}

func newSimCmd(c *cli) *cobra.Command {
	o := simOptions{}
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the OMS simulator: the real OMS APIs over generated or recorded projects",
		Long: `sim serves OceanBase Migration Service's APIs on one port:

  POST /          Alibaba Cloud RPC API (DescribeProject, ListProjects), signed with
                  signature V3 (ACS3-HMAC-SHA256) or V1 (HMAC-SHA1) by an AccessKey
  POST /api/v2    on-premise OMS API (?Action=...), JSON body, HTTP Basic auth
  /_sim/          the simulator's own control endpoint (state, advance, faults),
                  open to loopback clients, Basic auth for others

Projects come from a seeded generator (--projects, --seed, --scenario) whose
projects move through realistic lifecycles a tick at a time, or from a
recording (--recording). It listens on loopback only unless --allow-remote.

--write-recording FILE writes what the generator serves, tick by tick, as a
recording and exits, instead of serving.

Fault injection (--faults), also changeable at run time with
PUT /_sim/faults:

` + indent(omssim.FaultGrammar, "  ") + `

  e.g. --faults "latency=200ms@0.3,throttle@0.2,http503#2,notfound@1:np_abc"`,
		Example: `  omswatch sim
  omswatch sim --projects 400 --seed 7 --faults "http503@0.1,latency=300ms@0.2"
  omswatch sim --recording testdata/recordings/incr-lag-fail-recover.jsonl --replay time --speed 60
  omswatch sim --scenario alarm --projects 1 --step 1m --write-recording alarm.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.check()
			if err != nil {
				return err
			}
			if o.writeRecording != "" {
				ticks, err := service.WriteSimRecording(cfg.sim, o.writeRecording, o.ticks)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "wrote %d ticks × %d projects to %s\n", ticks, o.gen.Projects, o.writeRecording)
				return nil
			}
			if cfg.sim.Logger, err = c.logger(); err != nil {
				return err
			}
			cfg.sim.Started = func(addr, what string, sc omssim.Scenario) { printBanner(c.stdout, cfg, addr, what, sc) }
			return service.Sim(cmd.Context(), cfg.sim)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8089", "address to listen on (port 0 picks a free port; the address is printed)")
	f.IntVar(&o.gen.Projects, "projects", 20, "number of generated projects")
	f.Int64Var(&o.gen.Seed, "seed", 1, "seed of the generator, the fault RNG and the RequestIds")
	f.StringVar(&o.akID, "access-key-id", omssim.DemoAccessKeyID, "AccessKey id the cloud API accepts")
	f.StringVar(&o.akSecret, "access-key-secret", omssim.DemoAccessKeySecret, "its AccessKey secret")
	f.StringVar(&o.basicAuth, "basic-auth", omssim.DemoUser+":"+omssim.DemoPassword, "USER:PASS the on-premise API accepts")
	f.StringVar(&o.recording, "recording", "", "serve this recording (JSON Lines) instead of generated projects")
	f.StringVar(&o.faults, "faults", "", "fault injection spec (see above)")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "allow listening on a non-loopback address")
	f.DurationVar(&o.tick, "tick", omssim.DefaultTick, "real time between ticks")
	f.DurationVar(&o.gen.Step, "step", 0, "simulated time a tick stands for in generated timestamps (default: --tick)")
	f.StringVar(&o.gen.Template, "scenario", "", "give every generated project this lifecycle: "+strings.Join(omssim.Templates(), ", ")+" (default: a mix)")
	f.IntVar(&o.gen.BigTables, "big-tables", 0, "give the first generated project this many tables (5000 makes ~1 MB answers)")
	f.IntVar(&o.gen.MaxTables, "max-tables", 200, "most tables of a generated project")
	f.StringVar(&o.replayMode, "replay", "step", "how --recording is replayed: step (a tick per observation) or time")
	f.Float64Var(&o.speed, "speed", 1, "with --replay time: recorded seconds per real second")
	f.StringVar(&o.writeRecording, "write-recording", "", "write a recording of the generator to FILE and exit")
	f.Int64Var(&o.ticks, "ticks", 0, "with --write-recording: ticks to record (default: one telling of --scenario's story, else 30)")
	return cmd
}

// check validates the flags; every problem is a usage error (exit 2).
func (o simOptions) check() (*simConfig, error) {
	cfg := &simConfig{opts: o, sim: service.SimOptions{Gen: o.gen, Tick: o.tick, Recording: o.recording,
		ReplayTime: o.replayMode == "time", Speed: o.speed, Listen: o.listen,
		AccessKey: omssim.AccessKey{ID: o.akID, Secret: o.akSecret}}}
	var errs []error
	user, pass, ok := strings.Cut(o.basicAuth, ":")
	if !ok || user == "" || pass == "" {
		errs = append(errs, errors.New("--basic-auth: want USER:PASS with both parts non-empty"))
	}
	cfg.sim.Basic = omssim.BasicCredential{User: user, Password: pass}
	if o.akID == "" || o.akSecret == "" {
		errs = append(errs, errors.New("--access-key-id and --access-key-secret must not be empty"))
	}
	faults, err := omssim.ParseFaults(o.faults)
	if err != nil {
		errs = append(errs, fmt.Errorf("--faults: %w", err))
	}
	cfg.sim.Faults = faults
	if err := omssim.CheckListen(o.listen, o.allowRemote); err != nil && o.writeRecording == "" {
		errs = append(errs, err)
	}
	switch {
	case o.gen.Projects < 1:
		errs = append(errs, fmt.Errorf("--projects %d: want at least 1", o.gen.Projects))
	case o.tick <= 0 || o.gen.Step < 0:
		errs = append(errs, errors.New("--tick must be positive and --step not negative"))
	case o.replayMode != "step" && o.replayMode != "time":
		errs = append(errs, fmt.Errorf("--replay %q: want step or time", o.replayMode))
	case o.speed <= 0:
		errs = append(errs, fmt.Errorf("--speed %g: want a positive number", o.speed))
	case o.recording != "" && (o.gen.Template != "" || o.writeRecording != ""):
		errs = append(errs, errors.New("--recording serves a recording: it cannot be combined with --scenario or --write-recording"))
	case o.ticks < 0:
		errs = append(errs, fmt.Errorf("--ticks %d: must not be negative", o.ticks))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, service.Invalid(err)
	}
	return cfg, nil
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// printBanner tells a person how to talk to the simulator. The demo
// credentials are printed; credentials given on the command line are not.
func printBanner(w io.Writer, cfg *simConfig, addr, what string, sc omssim.Scenario) {
	o := cfg.opts
	base := "http://" + addr
	akSecret, pass := o.akSecret, cfg.sim.Basic.Password
	if akSecret != omssim.DemoAccessKeySecret {
		akSecret = "<as given>"
	}
	if pass != omssim.DemoPassword {
		pass = "<as given>"
	}
	basic := cfg.sim.Basic.User + ":" + pass
	example := "np_..."
	if ps := sc.Projects(omssim.Moment{}); len(ps) > 0 {
		example = ps[0].ID
	}
	fmt.Fprintf(w, `omswatch sim: %s
listening on %s
  Alibaba Cloud API  POST %s/   (signature V3 or V1)
    AccessKey id       %s
    AccessKey secret   %s
  On-premise API     POST %s/api/v2?Action=DescribeProject|ListProjects
    Basic auth         %s
  Control            GET %s/_sim/state, GET /_sim/projects, POST /_sim/advance?ticks=N, PUT /_sim/faults
Try:
  curl -s -u '%s' -d '{"pageSize":5,"needRelatedInfo":false}' '%s/api/v2?Action=ListProjects'
  curl -s -u '%s' -d '{"id":"%s"}' '%s/api/v2?Action=DescribeProject'
Watch it with omswatch (this line is a configuration file that validates):
  {oms: {mode: cloud, region: cn-hangzhou, endpoint: "%s", credentials: static, access_key_id: %s, access_key_secret: %s}, discovery: {list: {enabled: true}}}
`, what, base, base, o.akID, akSecret, base, basic, base, basic, base, basic, example, base, base, o.akID, akSecret)
}
