package oms

// StateBytes returns a snapshot's state (its canonical JSON without
// telemetry) written from the index, whether it could be, and encoded from
// the tree: for the external tests.
func StateBytes(s *Snapshot) (fromIndex []byte, ok bool, encoded []byte) {
	fromIndex, ok = s.appendState(nil)
	return fromIndex, ok, appendCanonical(nil, withoutTelemetry(s.tree))
}
