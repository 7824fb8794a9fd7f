package rules

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// proj describes a project state for snapshot(); zero fields are left out.
type proj struct {
	status, importance string
	delay              int // seconds; -1 leaves SyncDelay out
	checkpoint         time.Time
	incrStatus         string // INCR_TRANSFER's status; "" leaves the step out
	workerEnd          time.Time
}

// snapshot builds the canonical snapshot of project np_1 in state p.
func snapshot(t testing.TB, p proj) *oms.Snapshot {
	t.Helper()
	data := map[string]any{"Id": "np_1", "Name": "orders", "Type": "SYNC", "Status": p.status,
		"Importance": p.importance, "Labels": []any{map[string]any{"Id": "l_1", "Name": "prod"}}}
	if p.status == "" {
		data["Status"] = "RUNNING"
	}
	if p.importance == "" {
		data["Importance"] = "HIGH"
	}
	extra := map[string]any{}
	if p.delay >= 0 {
		extra["SyncDelay"] = p.delay
	}
	if !p.checkpoint.IsZero() {
		extra["IncrSyncTimestamp"] = p.checkpoint.Unix()
	}
	data["ExtraInfo"] = extra
	if p.incrStatus != "" {
		data["Steps"] = []any{
			map[string]any{"Name": "FULL_TRANSFER", "Order": 1, "Status": "FINISHED", "Progress": 100},
			map[string]any{"Name": "INCR_TRANSFER", "Order": 2, "Status": p.incrStatus, "Progress": 50},
		}
	}
	if !p.workerEnd.IsZero() {
		data["WorkerGradeInfo"] = map[string]any{"Id": "g_1", "Expired": false,
			"EndTime": p.workerEnd.UTC().Format("2006-01-02T15:04:05")}
	}
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	s, err := oms.ParseSnapshot(b)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return s
}
