package service

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// DiffSource is the event source of events computed from files.
const DiffSource = "file://"

// DiffFiles computes the events between two DescribeProject answers in
// files, the way omswatch does between two polls. An empty old file means
// no previous snapshot (the project is discovered). The events' time is at
// when given, else the new answer's GmtModified, else the Unix epoch, so
// the same files always give the same events. Errors are the input's
// (ErrInvalid).
func DiffFiles(oldPath, newPath string, at time.Time) ([]event.Event, error) {
	prev, err := readSnapshot(oldPath, true)
	if err != nil {
		return nil, err
	}
	cur, err := readSnapshot(newPath, false)
	if err != nil {
		return nil, err
	}
	when := at
	if when.IsZero() {
		when = cur.Project().Modified
	}
	if when.IsZero() {
		when = time.Unix(0, 0)
	}
	res, err := differ.Diff(prev, cur, differ.Observation{Source: DiffSource, Time: when.UTC()})
	if err != nil {
		return nil, Invalid(err)
	}
	return res.Events, nil
}

// readSnapshot reads one answer file; an empty one may mean none.
func readSnapshot(path string, emptyIsNone bool) (*oms.Snapshot, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, Invalid(err)
	}
	if emptyIsNone && len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	s, err := oms.ParseSnapshot(body)
	if err != nil {
		return nil, Invalid(fmt.Errorf("%s: %w", path, err))
	}
	return s, nil
}
