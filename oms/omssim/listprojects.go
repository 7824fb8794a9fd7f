package omssim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// MaxPageSize is the largest ListProjects PageSize the API accepts.
const MaxPageSize = 150

// projectStatuses is the ListProjects Status enum.
var projectStatuses = []string{"INIT", "RUNNING", "SUSPEND", "FAILED", "FINISHED", "RELEASING", "RELEASED",
	"DELETED", "RUNNING_MODIFYING", "RUNNING_MERGING", "RUNNING_ALARMING", "UNCONFIGURED"}

// listQuery is a parsed ListProjects request.
type listQuery struct {
	pageNumber, pageSize int
	statuses, labelIDs   []string
	sourceTypes          []string
	sinkTypes            []string
	typ, searchKey       string
	needRelated          bool
	visibleSub           bool
	byModified           bool // SortField gmtModified, else gmtCreate
	ascending            bool
}

func parseListQuery(src paramSource) (listQuery, *paramError) {
	q := listQuery{pageNumber: 1, pageSize: 10, needRelated: true}
	var perr *paramError
	intParam := func(name string, dst *int, lo, hi int) {
		s, ok := src.str(name)
		if !ok || perr != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < lo || n > hi {
			perr = &paramError{name: name, why: "must be a whole number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi) + ", got " + strconv.Quote(s)}
			return
		}
		*dst = n
	}
	boolParam := func(name string, dst *bool) {
		s, ok := src.str(name)
		if !ok || perr != nil {
			return
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			perr = &paramError{name: name, why: "must be true or false, got " + strconv.Quote(s)}
			return
		}
		*dst = b
	}
	listParam := func(name string, dst *[]string, allowed []string, most int) {
		if perr != nil {
			return
		}
		vals, _, err := src.list(name)
		if err != nil {
			perr = err
			return
		}
		for _, v := range vals {
			if allowed != nil && !slices.Contains(allowed, v) {
				perr = &paramError{name: name, why: strconv.Quote(v) + " is not one of " + strings.Join(allowed, ", ")}
				return
			}
		}
		if most > 0 && len(vals) > most {
			perr = &paramError{name: name, why: "at most " + strconv.Itoa(most) + " values"}
			return
		}
		*dst = vals
	}
	intParam("PageNumber", &q.pageNumber, 1, 1<<30)
	intParam("PageSize", &q.pageSize, 1, MaxPageSize)
	boolParam("NeedRelatedInfo", &q.needRelated)
	boolParam("VisibleSubProject", &q.visibleSub)
	listParam("Status", &q.statuses, projectStatuses, 0)
	listParam("LabelIds", &q.labelIDs, nil, 5)
	listParam("SourceEndpointTypes", &q.sourceTypes, nil, 0)
	listParam("SinkEndpointTypes", &q.sinkTypes, nil, 0)
	if perr != nil {
		return q, perr
	}
	return q, q.parseEnums(src)
}

// parseEnums reads Type, SearchKey, SortField and Order.
func (q *listQuery) parseEnums(src paramSource) *paramError {
	q.searchKey, _ = src.str("SearchKey")
	if t, ok := src.str("Type"); ok && t != "" {
		if t != "MIGRATION" && t != "SYNC" && t != "VERIFY" {
			return &paramError{name: "Type", why: "must be MIGRATION, SYNC or VERIFY, got " + strconv.Quote(t)}
		}
		q.typ = t
	}
	if f, ok := src.str("SortField"); ok && f != "" {
		switch strings.ToLower(f) {
		case "gmtcreate":
		case "gmtmodified":
			q.byModified = true
		default:
			return &paramError{name: "SortField", why: "must be gmtCreate or gmtModified, got " + strconv.Quote(f)}
		}
	}
	if o, ok := src.str("Order"); ok && o != "" {
		switch strings.ToLower(o) {
		case "asc", "ascend", "ascending":
			q.ascending = true
		case "desc", "descend", "descending":
		default:
			return &paramError{name: "Order", why: "must be asc or descend, got " + strconv.Quote(o)}
		}
	}
	return nil
}

// match reports whether a project passes the query's filters.
func (q *listQuery) match(p ProjectInfo) bool {
	if p.IsSubProject && !q.visibleSub {
		return false
	}
	if q.typ != "" && p.Type != q.typ {
		return false
	}
	if len(q.statuses) > 0 && !slices.Contains(q.statuses, p.Status) &&
		!(p.Alarming && strings.HasPrefix(p.Status, "RUNNING") && slices.Contains(q.statuses, "RUNNING_ALARMING")) {
		return false
	}
	if len(q.labelIDs) > 0 && !slices.ContainsFunc(p.LabelIDs, func(id string) bool { return slices.Contains(q.labelIDs, id) }) {
		return false
	}
	if len(q.sourceTypes) > 0 && !slices.Contains(q.sourceTypes, p.SourceEndpointType) {
		return false
	}
	if len(q.sinkTypes) > 0 && !slices.Contains(q.sinkTypes, p.SinkEndpointType) {
		return false
	}
	if k := strings.ToLower(q.searchKey); k != "" &&
		!strings.Contains(strings.ToLower(p.Name), k) && !strings.Contains(strings.ToLower(p.ID), k) {
		return false
	}
	return true
}

// page is the query's page of kept (filtered and sorted).
func (q *listQuery) page(kept []ProjectInfo) (pageItems []ProjectInfo, total int) {
	from := (q.pageNumber - 1) * q.pageSize
	if from >= len(kept) {
		return nil, len(kept)
	}
	return kept[from:min(from+q.pageSize, len(kept))], len(kept)
}

// filter filters and sorts ps (stable; ties by id).
func (q *listQuery) filter(ps []ProjectInfo) []ProjectInfo {
	var kept []ProjectInfo
	for _, p := range ps {
		if q.match(p) {
			kept = append(kept, p)
		}
	}
	slices.SortStableFunc(kept, func(a, b ProjectInfo) int {
		ka, kb := a.GmtCreate, b.GmtCreate
		if q.byModified {
			ka, kb = a.GmtModified, b.GmtModified
		}
		c := strings.Compare(ka, kb)
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if !q.ascending {
			c = -c
		}
		return c
	})
	return kept
}

// list answers ListProjects.
func (s *Server) list(x *exchange, m Moment, q listQuery) {
	items, total := q.page(s.filtered(m, q))
	var buf bytes.Buffer
	buf.WriteByte('[')
	n := 0
	detail := Related
	if !q.needRelated {
		detail = Light
	}
	for _, p := range items {
		d, ok := s.scenario.Describe(m, p.ID, detail)
		if !ok || d.Failure != nil {
			continue
		}
		data, err := spell(d.Data, x.spelling)
		if err != nil {
			x.internal(err)
			return
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.Write(data)
		n++
	}
	buf.WriteByte(']')
	body, err := successBody(x.spelling, x.requestID, buf.Bytes(), &page{number: q.pageNumber, size: q.pageSize, total: total})
	if err != nil {
		x.internal(err)
		return
	}
	x.write(http.StatusOK, body, nil)
}

// lightData keeps only lightFields of a PascalCase Data object.
func lightData(data []byte) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(lightFields))
	for _, k := range lightFields {
		if v, ok := obj[k]; ok {
			out[k] = v
		}
	}
	return marshal(out)
}
