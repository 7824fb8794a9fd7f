package omssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/omswatch/omswatch/oms"
)

// marshal encodes v as compact JSON without HTML escaping, so WhereClause
// "id > 1" stays readable in responses and recordings.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeTree decodes JSON into maps and slices, numbers kept as json.Number
// so 64-bit timestamps survive a round trip unchanged.
func decodeTree(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// spell re-encodes a PascalCase JSON document in spelling sp.
func spell(pascal []byte, sp oms.Spelling) (json.RawMessage, error) {
	if sp == oms.Cloud {
		return pascal, nil
	}
	tree, err := decodeTree(pascal)
	if err != nil {
		return nil, err
	}
	return marshal(oms.Respell(tree, sp))
}

// field is one member of an ordered JSON object; key is PascalCase.
type field struct {
	key string
	val any
}

// encodeObject writes fields as a JSON object in their order, keys in
// spelling sp. Values that are json.RawMessage must already be spelled.
func encodeObject(sp oms.Spelling, fields []field) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		k := f.key
		if sp == oms.OnPrem {
			k = oms.CamelKey(k)
		}
		buf.WriteString(strconv.Quote(k))
		buf.WriteByte(':')
		v, err := marshal(f.val)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.key, err)
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// page is the paging part of a ListProjects envelope.
type page struct {
	number, size, total int
}

// successBody encodes a Success:true envelope around data (already spelled).
// Cost is derived from the payload size rather than measured, so the same
// state always gives the same bytes.
func successBody(sp oms.Spelling, requestID string, data json.RawMessage, pg *page) ([]byte, error) {
	fields := []field{
		{"Success", true},
		{"ErrorDetail", nil},
		{"Code", nil},
		{"Message", nil},
		{"Advice", nil},
		{"RequestId", requestID},
	}
	if pg != nil {
		fields = append(fields, field{"PageNumber", pg.number}, field{"PageSize", pg.size}, field{"TotalCount", pg.total})
	}
	fields = append(fields, field{"Cost", cost(sp, len(data))}, field{"Data", data})
	return encodeObject(sp, fields)
}

// businessBody encodes a Success:false envelope.
func businessBody(sp oms.Spelling, requestID string, be *BusinessError) ([]byte, error) {
	detail, err := marshal(be.Detail.full())
	if err != nil {
		return nil, err
	}
	if detail, err = spell(detail, sp); err != nil {
		return nil, err
	}
	return encodeObject(sp, []field{
		{"Success", false},
		{"ErrorDetail", detail},
		{"Code", be.Code},
		{"Message", be.Message},
		{"Advice", be.Advice},
		{"RequestId", requestID},
		{"Cost", cost(sp, 0)},
		{"Data", nil},
	})
}

func cost(sp oms.Spelling, n int) string {
	ms := 1 + n/20000
	if sp == oms.OnPrem {
		return strconv.Itoa(ms) + " ms"
	}
	return strconv.Itoa(ms)
}
