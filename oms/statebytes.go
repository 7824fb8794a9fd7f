package oms

import "github.com/omswatch/omswatch/internal/jsonw"

// appendState appends the canonical JSON of the snapshot's tree without
// its telemetry, exactly what appendCanonical(withoutTelemetry(tree))
// writes, by copying the members of s's canonical JSON that are state:
// the objects telemetry lives in (the project, ExtraInfo, AlarmStats,
// Steps and each step) are indexed (see indexed), so no tree is copied or
// encoded again. ok is false when an object it needs is not indexed (a
// snapshot read back from the store, see ParseStored): the caller then
// encodes the tree.
func (s *Snapshot) appendState(buf []byte) (_ []byte, ok bool) {
	top, ok := s.index.spans(0)
	if !ok {
		return buf, false
	}
	buf = append(buf, '{')
	n := 0
	for _, sp := range top {
		var drop []string
		switch sp.key {
		case "GmtModified":
			continue
		case "ExtraInfo":
			drop = telemetryExtra
		case "AlarmStats":
			drop = telemetryAlarm
		case "Steps":
			if s.json[sp.start] != '{' {
				break
			}
			steps, ok := s.index.spans(sp.start)
			if !ok {
				return buf, false
			}
			buf = s.appendKey(buf, n, sp)
			n++
			buf = append(buf, '{')
			for i, st := range steps {
				buf = s.appendKey(buf, i, span{key: st.key, start: sp.start + st.start, end: sp.start + st.end})
				if buf, ok = s.appendWithout(buf, sp.start+st.start, sp.start+st.end, telemetryStep); !ok {
					return buf, false
				}
			}
			buf = append(buf, '}')
			continue
		}
		if drop == nil || s.json[sp.start] != '{' {
			buf = s.appendKey(buf, n, sp)
			buf = append(buf, s.json[sp.start:sp.end]...)
			n++
			continue
		}
		members, ok := s.index.spans(sp.start)
		if !ok {
			return buf, false
		}
		if !keepsAny(members, drop) {
			continue // an object of telemetry only (or empty) is no state
		}
		buf = s.appendKey(buf, n, sp)
		n++
		if buf, ok = s.appendWithout(buf, sp.start, sp.end, drop); !ok {
			return buf, false
		}
	}
	return append(buf, '}'), true
}

// appendKey appends the separator of the i-th member written and its key.
func (s *Snapshot) appendKey(buf []byte, i int, sp span) []byte {
	if i > 0 {
		buf = append(buf, ',')
	}
	buf = jsonw.AppendString(buf, sp.key)
	return append(buf, ':')
}

// appendWithout appends the value at [start, end) of the canonical JSON
// without the members named in drop when it is an object (as omit does).
func (s *Snapshot) appendWithout(buf []byte, start, end int, drop []string) ([]byte, bool) {
	if s.json[start] != '{' {
		return append(buf, s.json[start:end]...), true
	}
	members, ok := s.index.spans(start)
	if !ok {
		return buf, false
	}
	buf = append(buf, '{')
	n := 0
	for _, m := range members {
		if contains(drop, m.key) {
			continue
		}
		buf = s.appendKey(buf, n, m)
		buf = append(buf, s.json[start+m.start:start+m.end]...)
		n++
	}
	return append(buf, '}'), true
}

// keepsAny reports whether an object with members keeps one when those in
// drop are left out.
func keepsAny(members []span, drop []string) bool {
	for _, m := range members {
		if !contains(drop, m.key) {
			return true
		}
	}
	return false
}
