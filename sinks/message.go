package sinks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/omswatch/omswatch/event"
)

// Headers of the outbox's messages. The body is always the event's
// CloudEvents JSON, exactly as the audit trail and history show it; what
// the rules decided travels beside it.
const (
	// HeaderDeliver names one target of the event per value:
	// "target|route index|severity|route name".
	HeaderDeliver = "Omswatch-Deliver"
	// HeaderStatus is the project's ProjectStatus as JSON.
	HeaderStatus = "Omswatch-Status"
	// HeaderTarget, HeaderRoute, HeaderReason and HeaderAttempts describe a
	// dead letter.
	HeaderTarget   = "Omswatch-Target"
	HeaderRoute    = "Omswatch-Route"
	HeaderReason   = "Omswatch-Reason"
	HeaderAttempts = "Omswatch-Attempts"
	// HeaderContentType is set to event.StructuredContentType.
	HeaderContentType = "Content-Type"
)

// Delivery is one event for one target, as the rules engine decided it.
type Delivery struct {
	// Event is the event as the target gets it: only its Severity may
	// differ from the stored event (a route's override).
	Event  event.Event
	Target string
	// Route is the route's name ("" for default_to and unnamed routes);
	// RouteIndex its position (-1 for default_to), which keeps two unnamed
	// routes' groups apart.
	Route      string
	RouteIndex int
}

func encodeDelivery(d Delivery) string {
	return d.Target + "|" + strconv.Itoa(d.RouteIndex) + "|" + string(d.Event.Severity) + "|" + d.Route
}

// deliveryFor finds target's delivery among a message's header values.
func deliveryFor(h nats.Header, target string) (route string, index int, sev event.Severity, ok bool) {
	for _, v := range h.Values(HeaderDeliver) {
		parts := strings.SplitN(v, "|", 4)
		if len(parts) != 4 || parts[0] != target {
			continue
		}
		i, err := strconv.Atoi(parts[1])
		if err != nil {
			continue
		}
		return parts[3], i, event.Severity(parts[2]), true
	}
	return "", 0, "", false
}

// addressed reports whether a message has a delivery for target, without
// decoding anything else (the consumer's filter).
func addressed(h nats.Header, target string) bool {
	for _, v := range h.Values(HeaderDeliver) {
		if strings.HasPrefix(v, target+"|") {
			return true
		}
	}
	return false
}

// StatusOf is the project's status a stored message carries (nil for
// none): what its status card showed when the event was published.
func StatusOf(h nats.Header) *ProjectStatus { return decodeStatus(h.Get(HeaderStatus)) }

func decodeStatus(raw string) *ProjectStatus {
	if raw == "" {
		return nil
	}
	var st ProjectStatus
	if json.Unmarshal([]byte(raw), &st) != nil {
		return nil
	}
	return &st
}

// decodeForDelivery reads a stored event without its changes: a target
// sends the stored bytes (Notification.Payload) and templates do not see
// the patch, and the changes of a first sight can be a megabyte. Scalar
// data fields, nearly all of them, are read without a json.Decoder each
// (a third of the allocations of DecodeEvent's path); numbers stay
// json.Number.
func decodeForDelivery(data []byte) (event.Event, error) {
	var env struct {
		ID, Source, Type, Subject string
		Time                      time.Time
		Severity                  event.Severity
		Data                      map[string]json.RawMessage
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return event.Event{}, fmt.Errorf("stored event: %w", err)
	}
	e := event.Event{ID: env.ID, Source: env.Source, Type: env.Type, Subject: env.Subject, Time: env.Time, Severity: env.Severity}
	for k, v := range env.Data {
		switch k {
		case "changes":
			continue
		case "project":
			if err := json.Unmarshal(v, &e.Data.Project); err != nil {
				return event.Event{}, fmt.Errorf("stored event project: %w", err)
			}
			continue
		}
		val, err := scalarOrValue(v)
		if err != nil {
			return event.Event{}, fmt.Errorf("stored event data %q: %w", k, err)
		}
		if e.Data.Fields == nil {
			e.Data.Fields = make(map[string]any, len(env.Data))
		}
		e.Data.Fields[k] = val
	}
	return e, nil
}

// scalarOrValue decodes one valid JSON value (json.Unmarshal checked it),
// numbers as json.Number.
func scalarOrValue(v json.RawMessage) (any, error) {
	switch c := v[0]; {
	case c == '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case c == '-' || (c >= '0' && c <= '9'):
		return json.Number(v), nil
	case c == 't':
		return true, nil
	case c == 'f':
		return false, nil
	case c == 'n':
		return nil, nil
	}
	var val any
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	err := dec.Decode(&val)
	return val, err
}

// DecodeEvent reads a stored event: the CloudEvents JSON body.
func DecodeEvent(data []byte) (event.Event, error) {
	var e event.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return event.Event{}, fmt.Errorf("stored event: %w", err)
	}
	return e, nil
}
