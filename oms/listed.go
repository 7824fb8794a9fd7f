package oms

// WithMembersFrom returns s with the top-level members it lacks taken from
// other, a view of the same project: s itself when it lacks none. A
// ListProjects entry carries the project's state but not all of it (the
// transfer mapping, some settings); the poller takes a changed project's
// state from its entry and the rest from its last describe
// (entry.WithMembersFrom(described)), and when it describes a project it
// only ever saw listed, compares the describe with the listed snapshot so
// completed (listed.WithMembersFrom(described)): what the list never
// carried is no change. Members are taken whole, never merged: the entry's
// Steps, ExtraInfo or AlarmStats are the project's as they are now, absent
// errors included. Neither snapshot is modified.
func (s *Snapshot) WithMembersFrom(other *Snapshot) (*Snapshot, error) {
	var dst map[string]any
	for k, v := range other.tree {
		if _, has := s.tree[k]; has {
			continue
		}
		if dst == nil {
			dst = make(map[string]any, len(s.tree)+4)
			for k, v := range s.tree {
				dst[k] = v
			}
		}
		dst[k] = v
	}
	if dst == nil {
		return s, nil
	}
	return snapshotOf(dst), nil
}
