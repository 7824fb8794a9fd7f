package service

import (
	"strconv"
	"time"

	"github.com/omswatch/omswatch/internal/jsonw"
	"github.com/omswatch/omswatch/oms"
)

// appendJSON appends the record as json.Marshal wrote it (the same
// members, in the same order, with the same omissions) but without
// reflection and without HTML escaping: encoding/json validated and
// compacted a keyframe's whole snapshot once more, and sorted each patch
// by reflection, on every record. A patch is written as canonical JSON
// (its values are a canonical tree's). decodeObservation reads both.
func (o *observation) appendJSON(b []byte) []byte {
	b = append(b, `{"s":`...)
	b = jsonw.AppendString(b, o.Source)
	b = append(b, `,"p":`...)
	b = jsonw.AppendString(b, o.Project)
	if !o.IdleFrom.IsZero() {
		b = appendTimeMember(b, "if", o.IdleFrom)
	}
	if len(o.Idle) > 0 {
		b = append(b, `,"idle":[`...)
		for i, w := range o.Idle {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"g":`...)
			b = strconv.AppendInt(b, w.Gap, 10)
			if len(w.Patch) > 0 {
				b = append(b, `,"p":`...)
				b = oms.AppendCanonical(b, w.Patch)
			} else if len(w.patchJSON) > 0 {
				b = append(b, `,"p":`...)
				b = append(b, w.patchJSON...)
			}
			if w.Digest != "" {
				b = appendStringMember(b, "d", w.Digest)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendTimeMember(b, "t", o.Time)
	if o.Prev != "" {
		b = appendStringMember(b, "prev", o.Prev)
	}
	if o.Digest != "" {
		b = appendStringMember(b, "d", o.Digest)
	}
	if len(o.Snapshot) > 0 {
		b = append(b, `,"snap":`...)
		b = append(b, o.Snapshot...) // canonical JSON: compact already
	}
	if len(o.Patch) > 0 {
		b = append(b, `,"patch":`...)
		b = oms.AppendCanonical(b, o.Patch)
	} else if len(o.patchJSON) > 0 {
		b = append(b, `,"patch":`...)
		b = append(b, o.patchJSON...)
	}
	if o.Quiet {
		b = append(b, `,"quiet":true`...)
	}
	if o.Removed {
		b = append(b, `,"removed":true`...)
	}
	if len(o.Events) > 0 {
		b = append(b, `,"events":[`...)
		for i, e := range o.Events {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, e...) // event.JSON: compact already
		}
		b = append(b, ']')
	}
	if !o.Keyframe.IsZero() {
		b = appendTimeMember(b, "k", o.Keyframe)
	}
	if o.Omitted {
		b = append(b, `,"omitted":true`...)
	}
	return append(b, '}')
}

func appendStringMember(b []byte, name, s string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return jsonw.AppendString(b, s)
}

// appendTimeMember writes t as time.Time's MarshalJSON does (RFC 3339
// with nanoseconds; the log's times are UTC, of years 0 to 9999).
func appendTimeMember(b []byte, name string, t time.Time) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
