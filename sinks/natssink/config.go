package natssink

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
)

// DefaultSubject is the subject template of a target that names none.
const DefaultSubject = "oms.events.{{.Source}}.{{.Project.ID}}.{{.Type}}"

// Config is one NATS target: nats.targets.<name> of the configuration.
type Config struct {
	// Subject is a Go template over sinks.TemplateData; every value from
	// OMS in it is a sinks.Token (no dots, spaces or wildcards), .Type keeps
	// its dots. Default DefaultSubject.
	Subject setting.Template `yaml:"subject"`
	// JetStream publishes into a stream and waits for its acknowledgement;
	// otherwise core NATS, flushed to the server.
	JetStream bool `yaml:"jetstream"`
	// Stream, with JetStream, is the stream expected to take the subjects
	// (a publish another stream takes fails).
	Stream string `yaml:"stream"`
	// Timeout bounds one Send whose ctx has no deadline (default 10s).
	Timeout time.Duration `yaml:"-"`
}

// SetDefaults gives a target the file names without settings its
// defaults.
func (c *Config) SetDefaults() { c.Subject = setting.Template{Text: DefaultSubject} }

// streamPattern is what JetStream accepts as a stream name.
var streamPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]+$`) })

// Validate reports an empty or unparsable subject, one naming a field
// events do not carry, and a stream that is not a stream name or is given
// without jetstream, as setting.Errors.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Subject.Text) == "" {
		errs = append(errs, setting.Errorf("subject", "is empty; leave it out for the default %s", DefaultSubject))
	} else if err := c.Subject.CheckSyntax("subject"); err != nil {
		errs = append(errs, err)
	} else {
		for _, e := range sinks.CheckTemplateFields(c.Subject.Text, nil) {
			errs = append(errs, setting.Errorf("subject", "%v", e))
		}
	}
	if c.Stream != "" {
		if !c.JetStream {
			errs = append(errs, setting.Errorf("stream", "is only used with jetstream: true"))
		}
		if !streamPattern().MatchString(c.Stream) {
			errs = append(errs, setting.Errorf("stream", "%q is not a stream name; use letters, digits, '_' and '-'", c.Stream))
		}
	}
	return errors.Join(errs...)
}
