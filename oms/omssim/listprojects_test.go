package omssim

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// listAll pages through ListProjects with the SDK and returns the items and
// every page's TotalCount.
func listAll(t *testing.T, ts *TestServer, params map[string]any) (items []map[string]any, totals []int) {
	t.Helper()
	c := sdkClient(t, ts.Endpoint, DemoAccessKeyID, DemoAccessKeySecret, false)
	for pageNo := 1; ; pageNo++ {
		p := map[string]any{"PageNumber": pageNo, "PageSize": 150}
		for k, v := range params {
			p[k] = v
		}
		body, err := callSDK(c, ActionListProjects, p, 0)
		if err != nil {
			t.Fatalf("page %d: %v", pageNo, err)
		}
		totals = append(totals, num(t, body["TotalCount"]))
		data, _ := body["Data"].([]any)
		if len(data) == 0 {
			return items, totals
		}
		for _, d := range data {
			items = append(items, d.(map[string]any))
		}
	}
}

// num reads a JSON number as the SDK decodes it (json.Number).
func num(t *testing.T, v any) int {
	t.Helper()
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			t.Fatalf("number %v: %v", v, err)
		}
		return int(i)
	case float64:
		return int(n)
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return 0
}

func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it["Id"].(string)
	}
	return out
}

func TestListProjectsPaging(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 11, Projects: 400})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	ts.Advance(20)
	items, totals := listAll(t, ts, map[string]any{"NeedRelatedInfo": false})
	if len(totals) != 4 { // 150 + 150 + 100, then an empty page
		t.Fatalf("%d pages, want 3 full and 1 empty", len(totals))
	}
	for i, n := range totals {
		if n != 400 {
			t.Errorf("page %d TotalCount %v, want 400", i+1, n)
		}
	}
	got := ids(items)
	want := g.IDs()
	if sorted := slices.Sorted(slices.Values(got)); !slices.Equal(sorted, slices.Sorted(slices.Values(want))) {
		t.Fatalf("pages hold %d ids (%d distinct), want each of the %d projects exactly once",
			len(got), len(slices.Compact(sorted)), len(want))
	}
	created := make([]string, len(items))
	for i, it := range items {
		created[i] = it["GmtCreate"].(string) + it["Id"].(string)
	}
	if !sort.IsSorted(sort.Reverse(sort.StringSlice(created))) {
		t.Error("default order is not GmtCreate descending")
	}
}

func TestListProjectsFilters(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 11, Projects: 400})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	ts.Advance(20)
	truth := g.Projects(ts.Moment())
	label := truth[0].LabelIDs
	if len(label) == 0 {
		for _, p := range truth {
			if len(p.LabelIDs) > 0 {
				label = p.LabelIDs
				break
			}
		}
	}
	search := truth[5].Name[:strings.Index(truth[5].Name, "_")]
	cases := []struct {
		name   string
		params map[string]any
		keep   func(p ProjectInfo) bool
	}{
		{"status", map[string]any{"Status": `["RUNNING"]`}, func(p ProjectInfo) bool { return p.Status == "RUNNING" }},
		{"statuses", map[string]any{"Status": `["FAILED","RELEASED","INIT"]`}, func(p ProjectInfo) bool {
			return p.Status == "FAILED" || p.Status == "RELEASED" || p.Status == "INIT"
		}},
		{"alarming", map[string]any{"Status": `["RUNNING_ALARMING"]`}, func(p ProjectInfo) bool { return p.Status == "RUNNING" && p.Alarming }},
		{"type", map[string]any{"Type": "SYNC"}, func(p ProjectInfo) bool { return p.Type == "SYNC" }},
		{"label", map[string]any{"LabelIds": `["` + label[0] + `"]`}, func(p ProjectInfo) bool { return slices.Contains(p.LabelIDs, label[0]) }},
		{"search name", map[string]any{"SearchKey": strings.ToUpper(search)}, func(p ProjectInfo) bool { return strings.Contains(p.Name, search) }},
		{"search id", map[string]any{"SearchKey": truth[7].ID[3:9]}, func(p ProjectInfo) bool { return strings.Contains(p.ID, truth[7].ID[3:9]) }},
		{"source types", map[string]any{"SourceEndpointTypes": `["ORACLE","OB_MYSQL"]`}, func(p ProjectInfo) bool {
			return p.SourceEndpointType == "ORACLE" || p.SourceEndpointType == "OB_MYSQL"
		}},
		{"sink types", map[string]any{"SinkEndpointTypes": `["MYSQL"]`}, func(p ProjectInfo) bool { return p.SinkEndpointType == "MYSQL" }},
		{"combined", map[string]any{"Type": "MIGRATION", "Status": `["RELEASED"]`}, func(p ProjectInfo) bool {
			return p.Type == "MIGRATION" && p.Status == "RELEASED"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, p := range truth {
				if tc.keep(p) {
					want = append(want, p.ID)
				}
			}
			if len(want) == 0 || len(want) == len(truth) {
				t.Fatalf("the filter keeps %d of %d projects: a useless test", len(want), len(truth))
			}
			tc.params["NeedRelatedInfo"] = false
			items, totals := listAll(t, ts, tc.params)
			got := slices.Sorted(slices.Values(ids(items)))
			if !slices.Equal(got, slices.Sorted(slices.Values(want))) || totals[0] != len(want) {
				t.Fatalf("got %d projects (TotalCount %v), want %d", len(got), totals[0], len(want))
			}
		})
	}
}

func TestListProjectsBadParams(t *testing.T) {
	ts := StartTest(t, Options{ManualClock: true})
	c := sdkClient(t, ts.Endpoint, DemoAccessKeyID, DemoAccessKeySecret, false)
	cases := []struct {
		name   string
		params map[string]any
	}{
		{"page size 151", map[string]any{"PageSize": 151}},
		{"page size 0", map[string]any{"PageSize": 0}},
		{"page number 0", map[string]any{"PageNumber": 0}},
		{"status not a JSON array", map[string]any{"Status": "RUNNING"}},
		{"unknown status", map[string]any{"Status": `["SLEEPING"]`}},
		{"six labels", map[string]any{"LabelIds": `["a","b","c","d","e","f"]`}},
		{"sort field", map[string]any{"SortField": "name"}},
		{"order", map[string]any{"Order": "sideways"}},
		{"need related info", map[string]any{"NeedRelatedInfo": "maybe"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := callSDK(c, ActionListProjects, tc.params, 0)
			if code, status := sdkCode(t, err); code != "InvalidParameter" || status != 400 {
				t.Fatalf("got %s (HTTP %d), want InvalidParameter (HTTP 400)", code, status)
			}
		})
	}
}

func TestListProjectsRelatedInfo(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 5, Projects: 12})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	ts.Advance(25)
	related, _ := listAll(t, ts, map[string]any{"NeedRelatedInfo": true})
	light, _ := listAll(t, ts, map[string]any{"NeedRelatedInfo": false})
	if len(related) != 12 || len(light) != 12 {
		t.Fatalf("got %d and %d items, want 12", len(related), len(light))
	}
	for _, it := range related {
		for _, k := range []string{"Status", "Steps", "ExtraInfo", "AlarmStats", "SourceConnectInfo", "WorkerGradeInfo", "Labels"} {
			if _, ok := it[k]; !ok {
				t.Errorf("%s: NeedRelatedInfo=true item lacks %s", it["Id"], k)
			}
		}
		if _, ok := it["TransferMapping"]; ok {
			t.Errorf("%s: ListProjects item has TransferMapping", it["Id"])
		}
	}
	for i, it := range light {
		if got := slices.Sorted(maps.Keys(it)); !slices.Equal(got, slices.Sorted(slices.Values(lightFields))) {
			t.Errorf("%s: NeedRelatedInfo=false item has fields %v, want %v", it["Id"], got, lightFields)
		}
		// The light item is a cut of the related one, whichever way it is built.
		for _, k := range lightFields {
			if !reflect.DeepEqual(it[k], related[i][k]) {
				t.Errorf("%s: %s is %v light, %v related", it["Id"], k, it[k], related[i][k])
			}
		}
	}
	// The related items are DescribeProject's Data minus TransferMapping.
	c := sdkClient(t, ts.Endpoint, DemoAccessKeyID, DemoAccessKeySecret, true)
	full, err := callSDK(c, ActionDescribeProject, map[string]any{"Id": related[0]["Id"]}, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := full["Data"].(map[string]any)
	delete(data, "TransferMapping")
	if len(data) != len(related[0]) {
		t.Errorf("related item has %d fields, DescribeProject Data without TransferMapping %d", len(related[0]), len(data))
	}
}

func TestListProjectsSortModifiedAscending(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 5, Projects: 60})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	ts.Advance(30)
	items, _ := listAll(t, ts, map[string]any{"SortField": "gmtModified", "Order": "asc", "NeedRelatedInfo": false})
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it["GmtModified"].(string) + it["Id"].(string)
	}
	if !sort.StringsAreSorted(keys) {
		t.Fatal("not sorted by GmtModified ascending (ties by id)")
	}
}
