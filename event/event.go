package event

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SpecVersion is the CloudEvents version every event declares.
const SpecVersion = "1.0"

// ContentType is the datacontenttype of every event: data is a JSON object.
const ContentType = "application/json"

// StructuredContentType is the content type of a whole event in structured
// mode, as sent on NATS headers and webhook requests.
const StructuredContentType = "application/cloudevents+json"

// Event is one CloudEvents 1.0 event. Marshal it with JSON (or
// json.Marshal): both give the contract's shape with sorted data keys.
type Event struct {
	ID       string    // deterministic, see NewID
	Source   string    // oms://<region>, oms+onprem://<host>, file://
	Type     string    // one of Types()
	Subject  string    // the project id
	Time     time.Time // when the new snapshot was observed
	Severity Severity
	Data     Data
}

// Project is the project as of the new snapshot, carried by every event.
type Project struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Status     string   `json:"status"`
	Importance string   `json:"importance"`
	Labels     []string `json:"labels"`
	Owner      string   `json:"owner"`
}

// Data is the event's data object: the project, the type-specific fields
// (from, to, step, code...) and the JSON Patch operations that caused it.
type Data struct {
	Project Project
	Fields  map[string]any
	Changes []Change
}

// Reserved data keys that Fields may not use.
const (
	dataKeyProject = "project"
	dataKeyChanges = "changes"
)

// NewID returns the deterministic event id: a hash of the source, project,
// type, the event's key (what distinguishes two events of one type in one
// snapshot pair, such as a step name) and the new snapshot's digest. The same
// change observed twice (a retry, a restart, a second replica) gets the same
// id, which is what lets JetStream (Nats-Msg-Id) and consumers drop repeats.
func NewID(source, project, typ, key, digest string) string {
	h := sha256.New()
	for _, part := range []string{source, project, typ, key, digest} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Validate checks the attributes CloudEvents requires and the contract adds.
func (e *Event) Validate() error {
	var errs []error
	need := func(name, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("event %s is empty", name))
		}
	}
	need("id", e.ID)
	need("source", e.Source)
	need("type", e.Type)
	need("subject", e.Subject)
	if e.Time.IsZero() {
		errs = append(errs, errors.New("event time is not set"))
	}
	if e.Severity.Rank() == 0 {
		errs = append(errs, fmt.Errorf("event severity %q: want info, warning or critical", e.Severity))
	}
	for k := range e.Data.Fields {
		if k == dataKeyProject || k == dataKeyChanges {
			errs = append(errs, fmt.Errorf("event data field %q is reserved", k))
		}
	}
	return errors.Join(errs...)
}

// envelope is the wire form of Event as it is read back (appendEvent
// writes it).
type envelope struct {
	SpecVersion     string   `json:"specversion"`
	ID              string   `json:"id"`
	Source          string   `json:"source"`
	Type            string   `json:"type"`
	Subject         string   `json:"subject"`
	Time            string   `json:"time"`
	DataContentType string   `json:"datacontenttype"`
	Severity        Severity `json:"severity"`
	Data            Data     `json:"data"`
}

// JSON returns the event's one JSON encoding: compact, data keys sorted,
// and without HTML escaping, so "<" in an OMS message stays "<" for every
// consumer. Every sink sends exactly these bytes.
func (e Event) JSON() ([]byte, error) {
	return appendEvent(make([]byte, 0, 1024), e)
}

// MarshalJSON makes json.Marshal produce the same document as JSON (up to
// the HTML escaping json.Marshal insists on).
func (e Event) MarshalJSON() ([]byte, error) { return e.JSON() }

// UnmarshalJSON reads an event back (audit trail, files), requiring
// specversion 1.0.
func (e *Event) UnmarshalJSON(b []byte) error {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	if env.SpecVersion != SpecVersion {
		return fmt.Errorf("decode event: specversion %q, want %q", env.SpecVersion, SpecVersion)
	}
	t, err := time.Parse(time.RFC3339Nano, env.Time)
	if err != nil {
		return fmt.Errorf("decode event: time: %w", err)
	}
	*e = Event{ID: env.ID, Source: env.Source, Type: env.Type, Subject: env.Subject,
		Time: t, Severity: env.Severity, Data: env.Data}
	return nil
}

// MarshalJSON writes "changes", the type-specific fields and "project" as one
// object with sorted keys.
func (d Data) MarshalJSON() ([]byte, error) { return appendData(nil, d) }

// UnmarshalJSON splits the data object back into project, fields and changes.
// Numbers in fields stay json.Number so nothing is rounded.
func (d *Data) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("event data: %w", err)
	}
	*d = Data{}
	for k, v := range raw {
		var err error
		switch k {
		case dataKeyProject:
			err = json.Unmarshal(v, &d.Project)
		case dataKeyChanges:
			err = json.Unmarshal(v, &d.Changes)
		default:
			var val any
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			err = dec.Decode(&val)
			if d.Fields == nil {
				d.Fields = map[string]any{}
			}
			d.Fields[k] = val
		}
		if err != nil {
			return fmt.Errorf("event data %q: %w", k, err)
		}
	}
	return nil
}
