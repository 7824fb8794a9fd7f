package sinks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

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
// the patch, and the changes of a first sight can be a megabyte. One
// streaming pass (json.Unmarshal would scan the document three times on
// this path: validate, split data, decode each field).
func decodeForDelivery(data []byte) (event.Event, error) {
	var e event.Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := eachMember(dec, func(key string) error {
		switch key {
		case "id":
			return dec.Decode(&e.ID)
		case "source":
			return dec.Decode(&e.Source)
		case "type":
			return dec.Decode(&e.Type)
		case "subject":
			return dec.Decode(&e.Subject)
		case "time":
			return dec.Decode(&e.Time)
		case "severity":
			return dec.Decode(&e.Severity)
		case "data":
			return eachMember(dec, func(k string) error {
				switch k {
				case "project":
					return dec.Decode(&e.Data.Project)
				case "changes":
					var skip json.RawMessage
					return dec.Decode(&skip)
				}
				var v any
				if err := dec.Decode(&v); err != nil {
					return err
				}
				if e.Data.Fields == nil {
					e.Data.Fields = map[string]any{}
				}
				e.Data.Fields[k] = v
				return nil
			})
		}
		var skip json.RawMessage
		return dec.Decode(&skip)
	})
	if err != nil {
		return event.Event{}, fmt.Errorf("stored event: %w", err)
	}
	return e, nil
}

// eachMember reads a JSON object member by member: f decodes the value of
// each key from dec.
func eachMember(dec *json.Decoder, f func(key string) error) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("want an object: %v", err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		if err := f(key); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	_, err := dec.Token() // the closing brace
	return err
}

// DecodeEvent reads a stored event: the CloudEvents JSON body.
func DecodeEvent(data []byte) (event.Event, error) {
	var e event.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return event.Event{}, fmt.Errorf("stored event: %w", err)
	}
	return e, nil
}
