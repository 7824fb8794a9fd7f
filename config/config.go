package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/sinks/slack"
)

// Config is the whole omswatch configuration file. Its sections are the
// components' own configuration types (omsapi.Config, natsembed.Config,
// slack.Config...), which validate themselves, and the few sections of the
// service itself; Load fills it over Default(), so a section or key left
// out keeps its default value.
type Config struct {
	OMS       omsapi.Config `yaml:"oms"`
	Discovery Discovery     `yaml:"discovery"`
	Schedule  Schedule      `yaml:"schedule"`
	Store     Store         `yaml:"store"`
	HA        HA            `yaml:"ha"`
	NATS      NATS          `yaml:"nats"`
	Slack     slack.Config  `yaml:"slack"`
	Webhook   Webhook       `yaml:"webhook"`
	// Alertmanager and PagerDuty are where paging already lives.
	Alertmanager Alertmanager `yaml:"alertmanager"`
	PagerDuty    PagerDuty    `yaml:"pagerduty"`
	Rules        Rules        `yaml:"rules"`
	Incidents    Incidents    `yaml:"incidents"`
	HTTP         HTTP         `yaml:"http"`
	Log          Log          `yaml:"log"`
	Heartbeat    Heartbeat    `yaml:"heartbeat"`
	Digest       Digest       `yaml:"digest"`

	// File is the name the configuration was loaded from.
	File string `yaml:"-"`

	idx *index
}

// Position returns where the value at a YAML path of the main file
// ("oms.region", "nats.targets.audit.subject") was written, or where its
// nearest written parent is when the value is a default. Components use it
// to report their own construction errors at a place in the file.
func (c *Config) Position(path string) Position {
	if c.idx == nil {
		return Position{}
	}
	return c.idx.valuePos(path)
}

// Files lists every file the configuration was read from or refers to:
// the file itself, included rule files, secret files, TLS and NATS
// credential files. A change to any of them may change the configuration,
// so `run` watches them all for its reloads.
func (c *Config) Files() []string {
	if c.idx == nil {
		return nil
	}
	return slices.Clone(c.idx.files)
}

// LoadFile reads and loads the configuration file at path. Relative paths
// in it (*_file secrets, TLS files, includes) are resolved against the
// directory path is in.
func LoadFile(path string) (*Config, error) {
	data, err := readFile(path, maxConfigFile)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return Load(data, path)
}

// Load parses a configuration document. filename names it in error
// positions, and its directory is the base for relative paths in it. On
// failure the error is an Errors value listing every problem found, each
// with file:line:column: the document's and its sections', and what
// compiling the rules finds (expressions, matchers), in the order they are
// written.
func Load(data []byte, filename string) (*Config, error) {
	l := &loader{errs: &errorList{files: []string{filename}}, idx: newIndex(), dir: filepath.Dir(filename)}
	l.idx.addFile(filename)
	cfg := Default()
	cfg.File = filename
	root := parseYAML(data, filename, l.errs)
	if root == nil {
		return nil, l.errs.sorted()
	}
	d := l.decoder(filename, "", l.dir)
	d.idx.setValue("", d.pos(root))
	d.decode(root, reflect.ValueOf(&cfg).Elem(), "")
	cfg.Rules.locate(d, "rules.")
	if d.steps > maxSteps {
		// Checking what was decoded of a runaway document only costs time.
		return nil, l.errs.sorted()
	}
	l.includeRules(&cfg)
	cfg.validate(&validator{errs: l.errs, idx: l.idx})
	if len(l.errs.errs) > 0 {
		return nil, l.errs.sorted()
	}
	cfg.idx = l.idx
	return &cfg, nil
}

// loader holds what the main file and its included files share.
type loader struct {
	errs *errorList
	idx  *index
	dir  string
}

func (l *loader) decoder(file, prefix, dir string) *decoder {
	return &decoder{file: file, dir: dir, prefix: prefix, errs: l.errs, idx: l.idx}
}

// validate runs every section's checks, then the checks across sections.
func (c *Config) validate(v *validator) {
	c.validateOMS(v)
	c.Discovery.validate(v, c.OMS.Mode)
	c.Schedule.validate(v)
	c.Store.validate(v, c.NATS.IsEmbedded())
	c.HA.validate(v, c)
	c.NATS.validate(v)
	v.component("slack", c.Slack.Validate())
	c.Webhook.validate(v)
	c.Alertmanager.validate(v)
	c.PagerDuty.validate(v)
	targets := c.targets(v)
	c.Rules.validate(v, targets)
	c.validateSelfMonitoring(v, targets)
	c.Incidents.validate(v, c, targets)
	c.Digest.validate(v, targets)
	c.HTTP.validate(v)
	c.validateSlackInteractions(v)
	c.Log.validate(v)
	c.checkRules(v) // last: it leaves out what the checks above reported
}
