package omsapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// RecordingWriter is a Recorder that appends each answer to w as one line
// of the simulator's recording format (JSON Lines of {"time", "source",
// "project", "response"}), which `omswatch sim --recording` replays.
type RecordingWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewRecordingWriter returns a Recorder writing to w.
func NewRecordingWriter(w io.Writer) *RecordingWriter { return &RecordingWriter{w: w} }

// observation is one recording line.
type observation struct {
	Time     time.Time       `json:"time"`
	Source   string          `json:"source"`
	Project  string          `json:"project"`
	Response json.RawMessage `json:"response"`
}

// Record appends one answer. The body is compacted onto one line.
func (r *RecordingWriter) Record(at time.Time, source, project string, body []byte) error {
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return fmt.Errorf("record %s: the answer is not JSON: %w", project, err)
	}
	line, err := json.Marshal(observation{Time: at.UTC(), Source: source, Project: project, Response: compact.Bytes()})
	if err != nil {
		return fmt.Errorf("record %s: %w", project, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("record %s: %w", project, err)
	}
	return nil
}
