package natssink

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/event"
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
// events do not carry, one that does not make a valid subject of every
// event type (rendered for a sample event of each, sinks.SampleEvents),
// and a stream that is not a stream name or is given
// without jetstream, as setting.Errors.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Subject.Text) == "" {
		errs = append(errs, setting.Errorf("subject", "is empty; leave it out for the default %s", DefaultSubject))
	} else if err := c.Subject.CheckSyntax("subject"); err != nil {
		errs = append(errs, err)
	} else if fieldErrs := sinks.CheckTemplateFields(c.Subject.Text, nil); len(fieldErrs) > 0 {
		for _, e := range fieldErrs {
			errs = append(errs, setting.Errorf("subject", "%v", e))
		}
	} else if err := checkSubject(c.Subject.Text); err != nil {
		errs = append(errs, err)
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

// checkSubject renders a subject template for a sample event of every
// type and reports the types it makes no valid subject of: at run time
// each such event would be dead-lettered.
func checkSubject(text string) error {
	t, err := parseSubject(text)
	if err != nil {
		return nil // CheckSyntax reports it
	}
	var bad []string
	var example string
	for _, e := range sinks.SampleEvents() {
		subj, err := render(t, e)
		if (err == nil && sinks.ValidSubject(subj)) || slices.Contains(bad, e.Type) {
			continue
		}
		bad = append(bad, e.Type)
		if example != "" {
			continue
		}
		if err != nil {
			example = fmt.Sprintf("%s events fail: %v", e.Type, err)
		} else {
			example = fmt.Sprintf("%s events get %q", e.Type, subj)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return setting.Errorf("subject", "makes no valid subject (tokens separated by single dots, no spaces, * or >) "+
		"of %d of %d event types (%s): %s; a field some types lack needs a fallback, e.g. {{or .Data.step \"none\"}}",
		len(bad), len(event.Types()), strings.Join(bad, ", "), example)
}
