package oms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

const seedPath = "../testdata/oms/seed_describeproject.json"

// seedEnvelope decodes the official DescribeProject example response.
func seedEnvelope(t testing.TB) map[string]any {
	t.Helper()
	v, err := decodeJSON(200, readFile(t, seedPath))
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

// bigProject returns an envelope shaped like the seed whose TransferMapping
// holds tables tables (and a view for every tenth) spread over dbs
// databases. A non-nil rng shuffles databases, tables and views; change
// alters the WhereClause of the table with that index (-1 for none).
func bigProject(t testing.TB, dbs, tables int, rng *rand.Rand, change int) map[string]any {
	t.Helper()
	env := Respell(seedEnvelope(t), Cloud).(map[string]any) // a deep copy
	data := env["Data"].(map[string]any)
	mapping := data["TransferMapping"].(map[string]any)
	dbTemplate := mapping["Databases"].([]any)[0].(map[string]any)
	tableTemplate := dbTemplate["Tables"].([]any)[0]
	viewTemplate := dbTemplate["Views"].([]any)[0]

	databases := make([]any, dbs)
	for d := range databases {
		db := Respell(dbTemplate, Cloud).(map[string]any)
		db["Name"], db["Id"], db["MappedName"] = fmt.Sprintf("db_%02d", d), fmt.Sprintf("dbid_%02d", d), fmt.Sprintf("mdb_%02d", d)
		db["Tables"], db["Views"], db["SpecificTables"], db["SpecificViews"] = []any{}, []any{}, []any{}, []any{}
		databases[d] = db
	}
	for i := range tables {
		db := databases[i%dbs].(map[string]any)
		db["Tables"] = append(db["Tables"].([]any), namedCopy(tableTemplate, "t", i, change))
		if i%10 == 0 {
			db["Views"] = append(db["Views"].([]any), namedCopy(viewTemplate, "v", i, -1))
		}
	}
	if rng != nil {
		for _, d := range databases {
			db := d.(map[string]any)
			for _, k := range []string{"Tables", "Views"} {
				a := db[k].([]any)
				rng.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
			}
		}
		rng.Shuffle(len(databases), func(i, j int) { databases[i], databases[j] = databases[j], databases[i] })
	}
	mapping["Databases"] = databases
	return env
}

func namedCopy(template any, prefix string, i, change int) any {
	m := Respell(template, Cloud).(map[string]any)
	m["Name"] = fmt.Sprintf("%s_%05d", prefix, i)
	m["Id"] = fmt.Sprintf("%sid_%05d", prefix, i)
	m["MappedName"] = fmt.Sprintf("m%s_%05d", prefix, i)
	m["WhereClause"] = fmt.Sprintf("id > %d", i)
	if i == change {
		m["WhereClause"] = fmt.Sprintf("id >= %d", i)
	}
	return m
}

// marshalInput encodes a generated input readably: indented, no HTML escaping.
func marshalInput(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// generatedInputs are the golden inputs built from the seed rather than
// written by hand; -update rewrites them.
func generatedInputs(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"seed":                  readFile(t, seedPath),
		"seed_onprem":           marshalInput(t, Respell(seedEnvelope(t), OnPrem)),
		"mapping_big":           marshalInput(t, bigProject(t, 3, 60, nil, -1)),
		"mapping_big_reordered": marshalInput(t, bigProject(t, 3, 60, rand.New(rand.NewPCG(1, 2)), -1)),
		"mapping_big_changed":   marshalInput(t, bigProject(t, 3, 60, nil, 37)),
	}
}
