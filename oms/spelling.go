package oms

import "strings"

// Spelling is the key style of an OMS JSON document. Alibaba Cloud's RPC API
// answers in PascalCase (Success, Data, Steps[]); on-premise OMS's /api/v2
// answers the same fields in camelCase (success, data, steps[]).
type Spelling int

const (
	// Cloud is Alibaba Cloud's PascalCase, also the canonical spelling.
	Cloud Spelling = iota
	// OnPrem is on-premise OMS's camelCase.
	OnPrem
)

// String names the spelling.
func (s Spelling) String() string {
	if s == OnPrem {
		return "onprem"
	}
	return "cloud"
}

// Freeform says how a map-valued field's keys are treated when a document is
// respelled. OMS documents the keys of these maps as data, not as fields, so
// rewriting their case would change what they say.
type Freeform int

const (
	// NotFreeform is an ordinary object: its keys are field names.
	NotFreeform Freeform = iota
	// Opaque keeps the whole subtree verbatim (StepInfo, ErrorParam, *McmsContext...).
	Opaque
	// DataKeyed keeps the map's own keys but respells the objects under them
	// (SubDbs, SubConds: keys are sub-project ids, values are OMS objects).
	DataKeyed
)

// FreeformKind reports how the field named key (in either spelling) is
// treated by Respell and by canonicalisation.
func FreeformKind(key string) Freeform {
	switch k := PascalKey(key); k {
	case "StepInfo", "ErrorParam", "ExtraContext", "RuleToRecentlyTriggerCount",
		"ConnExtraAttributes", "SubIds":
		return Opaque
	case "SubDbs", "SubConds":
		return DataKeyed
	default:
		if strings.HasSuffix(k, "McmsContext") {
			return Opaque
		}
		return NotFreeform
	}
}

// PascalKey returns the cloud spelling of a field name: its first letter upper-cased.
func PascalKey(k string) string {
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		return k
	}
	return string(k[0]-'a'+'A') + k[1:]
}

// CamelKey returns the on-premise spelling of a field name: its first letter lower-cased.
func CamelKey(k string) string {
	if k == "" || k[0] < 'A' || k[0] > 'Z' {
		return k
	}
	return string(k[0]-'A'+'a') + k[1:]
}

// Respell returns a copy of a decoded JSON tree (map[string]any, []any and
// scalars, as encoding/json produces) with every field name in spelling s.
// Free-form maps keep their keys (see FreeformKind). The input is not modified.
func Respell(v any, s Spelling) any {
	key := PascalKey
	if s == OnPrem {
		key = CamelKey
	}
	return respell(v, key, NotFreeform)
}

func respell(v any, key func(string) string, kind Freeform) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, child := range t {
			switch {
			case kind == Opaque:
				out[k] = child
			case kind == DataKeyed:
				out[k] = respell(child, key, NotFreeform)
			default:
				ck := FreeformKind(k)
				if ck == Opaque {
					out[key(k)] = child
				} else {
					out[key(k)] = respell(child, key, ck)
				}
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, child := range t {
			out[i] = respell(child, key, kind)
		}
		return out
	default:
		return v
	}
}
