package oms

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// Telemetry is the part of a snapshot that moves on its own while nothing
// about the project's state changes (EVENTS.md, "Telemetry"): it is kept
// in snapshots for conditions and templates but never causes an event by
// itself, and a change to it alone does not make the poller describe a
// project again. Paths are into the canonical tree, identified arrays keyed:
//
//   - Steps.<key>.StepInfo (everything in it), Steps.<key>.StartTime,
//     FinishTime and Description;
//   - ExtraInfo.SyncDelay, SyncDelaySampleTimestamp, IncrSyncTimestamp,
//     RunningStep, RunningProgress, MonitoringIncr;
//   - GmtModified;
//   - AlarmStats.AlarmContent and AlarmStats.Target.
//
// (AlarmStats counts that fall while Alarming stays as it was are no event
// either, but that depends on two values, not a path: the differ decides it.)

// telemetryExtra are the ExtraInfo members that are telemetry.
var telemetryExtra = []string{"SyncDelay", "SyncDelaySampleTimestamp", "IncrSyncTimestamp",
	"RunningStep", "RunningProgress", "MonitoringIncr"}

// telemetryStep are the members of a step that are telemetry.
var telemetryStep = []string{"StepInfo", "StartTime", "FinishTime", "Description"}

// telemetryAlarm are the AlarmStats members that are telemetry.
var telemetryAlarm = []string{"AlarmContent", "Target"}

// IsTelemetry reports whether the canonical path (member names and keys of
// identified arrays, e.g. ["Steps", "INCR_TRANSFER", "StepInfo",
// "checkpointSampleTimestamp"]) is telemetry or inside it.
func IsTelemetry(path []string) bool {
	if len(path) == 0 {
		return false
	}
	switch path[0] {
	case "GmtModified":
		return true
	case "ExtraInfo":
		return len(path) >= 2 && contains(telemetryExtra, path[1])
	case "AlarmStats":
		return len(path) >= 2 && contains(telemetryAlarm, path[1])
	case "Steps":
		return len(path) >= 3 && contains(telemetryStep, path[2])
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// StateDigest returns the hex SHA-256 of the canonical JSON without the
// telemetry: equal for two snapshots that differ only in telemetry. The
// poller compares it between consecutive ListProjects entries to decide
// whether a project's state changed and needs a DescribeProject.
func (s *Snapshot) StateDigest() string {
	bp := stateBuffers.Get().(*[]byte)
	buf, ok := s.appendState((*bp)[:0])
	if !ok {
		buf = appendCanonical(buf[:0], withoutTelemetry(s.tree))
	}
	sum := sha256.Sum256(buf)
	if cap(buf) <= 1<<20 { // a rare huge project's buffer is not kept
		*bp = buf[:0]
		stateBuffers.Put(bp)
	}
	return hex.EncodeToString(sum[:])
}

// stateBuffers reuses StateDigest's buffers: it runs for every ListProjects
// entry, and its JSON is only hashed.
var stateBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// withoutTelemetry returns a shallow copy of a canonical tree with the
// telemetry members left out. Only the objects on telemetry paths are
// copied; the tree itself is not modified.
func withoutTelemetry(tree map[string]any) map[string]any {
	out := make(map[string]any, len(tree))
	for k, v := range tree {
		switch k {
		case "GmtModified":
			continue
		case "ExtraInfo":
			if v = omit(v, telemetryExtra); isEmptyObject(v) {
				continue // an ExtraInfo of telemetry only is no state
			}
		case "AlarmStats":
			if v = omit(v, telemetryAlarm); isEmptyObject(v) {
				continue
			}
		case "Steps":
			if steps, ok := v.(map[string]any); ok {
				cp := make(map[string]any, len(steps))
				for key, st := range steps {
					cp[key] = omit(st, telemetryStep)
				}
				v = cp
			}
		}
		out[k] = v
	}
	return out
}

func isEmptyObject(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}

// omit returns v without the members named, copying it only when it is an
// object that has one of them.
func omit(v any, names []string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	found := false
	for _, n := range names {
		if _, has := m[n]; has {
			found = true
			break
		}
	}
	if !found {
		return m
	}
	cp := make(map[string]any, len(m))
	for k, val := range m {
		if !contains(names, k) {
			cp[k] = val
		}
	}
	return cp
}

// WithTelemetryFrom returns s with its telemetry replaced by that of
// fresher, a later view of the same project (a ListProjects entry): the
// project's conditions see the current sync delay, checkpoints and running
// step without a DescribeProject. Everything else is s's. Where fresher has
// the object that holds a telemetry member (ExtraInfo, AlarmStats, a step),
// the member is mirrored exactly, absence included; where fresher lacks the
// object, s's members stay. Neither snapshot is modified.
func (s *Snapshot) WithTelemetryFrom(fresher *Snapshot) (*Snapshot, error) {
	src, dst := fresher.tree, make(map[string]any, len(s.tree))
	for k, v := range s.tree {
		dst[k] = v
	}
	if v, ok := src["GmtModified"]; ok {
		dst["GmtModified"] = v
	}
	mirror(dst, src, "ExtraInfo", telemetryExtra)
	mirror(dst, src, "AlarmStats", telemetryAlarm)
	if steps, ok := dst["Steps"].(map[string]any); ok {
		srcSteps, _ := src["Steps"].(map[string]any)
		cp := make(map[string]any, len(steps))
		for key, st := range steps {
			cp[key] = st
			mirror(cp, srcSteps, key, telemetryStep)
		}
		dst["Steps"] = cp
	}
	return snapshotOf(dst), nil
}

// mirror sets the named members of dst[key] (an object, copied) to those of
// src[key], when both are objects.
func mirror(dst, src map[string]any, key string, names []string) {
	d, ok := dst[key].(map[string]any)
	if !ok {
		return
	}
	s, ok := src[key].(map[string]any)
	if !ok {
		return
	}
	cp := make(map[string]any, len(d)+len(names))
	for k, v := range d {
		if !contains(names, k) {
			cp[k] = v
		}
	}
	for _, n := range names {
		if v, has := s[n]; has {
			cp[n] = v
		}
	}
	dst[key] = cp
}
