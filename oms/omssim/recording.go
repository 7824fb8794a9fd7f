package omssim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// Observation is one line of a recording: what DescribeProject answered for
// one project at one time.
type Observation struct {
	// Time is when the answer was observed (RFC 3339).
	Time time.Time `json:"time"`
	// Source says where the project lives, as an event source: oms://<region>,
	// oms+onprem://<host>, or omssim://... for generated recordings.
	Source string `json:"source"`
	// Project is the project id.
	Project string `json:"project"`
	// Response is the raw DescribeProject response, envelope included, in
	// either spelling.
	Response json.RawMessage `json:"response"`
}

// ReadRecording reads a recording: JSON Lines, one Observation a line.
// Blank lines are skipped; lines may be of any length.
func ReadRecording(r io.Reader) ([]Observation, error) {
	br := bufio.NewReader(r)
	var out []Observation
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			o, perr := parseObservation(line)
			if perr != nil {
				return nil, fmt.Errorf("recording line %d: %w", n, perr)
			}
			out = append(out, o)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("recording line %d: %w", n, err)
		}
	}
}

func parseObservation(line []byte) (Observation, error) {
	var o Observation
	if err := json.Unmarshal(line, &o); err != nil {
		return o, err
	}
	switch {
	case o.Time.IsZero():
		return o, errors.New(`"time" is missing`)
	case o.Project == "":
		return o, errors.New(`"project" is missing`)
	case len(bytes.TrimSpace(o.Response)) == 0 || bytes.TrimSpace(o.Response)[0] != '{':
		return o, errors.New(`"response" must be a JSON object`)
	}
	return o, nil
}

// RecordOptions configure WriteRecording.
type RecordOptions struct {
	// From is the first tick recorded, Ticks how many are recorded.
	From, Ticks int64
	// Tick is the elapsed time a tick stands for in the Moments handed to
	// the scenario (default DefaultTick); only time-based replays use it.
	Tick time.Duration
	// Source is every observation's source.
	Source string
	// Spelling of the recorded responses (default oms.Cloud).
	Spelling oms.Spelling
	// Seed seeds the responses' RequestIds, so a recording is reproducible.
	Seed int64
}

// WriteRecording writes what DescribeProject answers for every project of sc
// at each recorded tick, one Observation a line, ticks in order and projects
// in the scenario's order within a tick.
func WriteRecording(w io.Writer, sc Scenario, o RecordOptions) error {
	if o.Ticks < 0 || o.From < 0 {
		return fmt.Errorf("record ticks %d from %d: must not be negative", o.Ticks, o.From)
	}
	if o.Tick == 0 {
		o.Tick = DefaultTick
	}
	bw := bufio.NewWriter(w)
	n := uint64(0)
	for tick := o.From; tick < o.From+o.Ticks; tick++ {
		m := Moment{Tick: tick, Elapsed: time.Duration(tick) * o.Tick}
		for _, p := range sc.Projects(m) {
			n++
			resp, err := responseFor(sc, m, p.ID, o.Spelling, requestID(o.Seed, n))
			if err != nil {
				return fmt.Errorf("record %s at tick %d: %w", p.ID, tick, err)
			}
			line, err := marshal(Observation{Time: sc.Time(m).UTC(), Source: o.Source, Project: p.ID, Response: resp})
			if err != nil {
				return err
			}
			bw.Write(line)
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

// responseFor is the DescribeProject response body for a project at m.
func responseFor(sc Scenario, m Moment, id string, sp oms.Spelling, reqID string) ([]byte, error) {
	d, ok := sc.Describe(m, id, Full)
	switch {
	case !ok:
		return businessBody(sp, reqID, notFound(id))
	case d.Failure != nil:
		return businessBody(sp, reqID, d.Failure)
	}
	data, err := spell(d.Data, sp)
	if err != nil {
		return nil, err
	}
	return successBody(sp, reqID, data, nil)
}
