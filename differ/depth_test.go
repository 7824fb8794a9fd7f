package differ

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// A project first seen with a value nested thousands of levels deep (OMS
// content is not ours to trust) costs memory in proportion to its size,
// not to the square of its depth: the redaction walk once copied the path
// at every level, 830 MB for 25 KB of JSON nested 9,000 deep.
func TestDeeplyNestedValueCostsLinearMemory(t *testing.T) {
	const depth = 9000
	body := `{"Success":true,"Data":{"Id":"np_deep","Name":"deep","Status":"RUNNING","Hostile":` +
		strings.Repeat("[", depth) + `"deep"` + strings.Repeat("]", depth) + `}}`
	cur, err := oms.ParseSnapshot([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := Diff(nil, cur, Observation{Source: "oms://cn-hangzhou", Time: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) == 0 {
		t.Fatal("no event for a project first seen")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("diffing %d bytes of JSON nested %d deep allocated %d MB", len(body), depth, alloc>>20)
	}
}
