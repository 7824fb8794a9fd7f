package differ

import (
	"fmt"
	"slices"
	"testing"
)

// withTables gives a Data object a TransferMapping of n tables spread over
// three databases, shaped like the seed's table entries. insertAt >= 0
// inserts one more table in the middle of the first database's Tables
// array; each index in changed gets a different WhereClause.
func withTables(d doc, n, insertAt int, changed ...int) {
	mapping := d["TransferMapping"].(doc)
	dbs := make([]any, 3)
	for i := range dbs {
		dbs[i] = doc{"Type": "MYSQL", "Id": fmt.Sprintf("db_id_%d", i), "Name": fmt.Sprintf("shop_%d", i),
			"MappedName": fmt.Sprintf("shop_%d", i), "TenantName": "t_app", "Tables": []any{}, "Views": []any{}}
	}
	for i := range n {
		db := dbs[i%3].(doc)
		db["Tables"] = append(db["Tables"].([]any), table(i, slices.Contains(changed, i)))
	}
	if insertAt >= 0 {
		first := dbs[0].(doc)
		tables := first["Tables"].([]any)
		at := len(tables) / 2
		first["Tables"] = slices.Insert(tables, at, any(table(insertAt+100000, false)))
	}
	mapping["Databases"] = dbs
}

func table(i int, changed bool) doc {
	where := fmt.Sprintf("id > %d", i)
	if changed {
		where = fmt.Sprintf("id >= %d AND deleted = 0", i)
	}
	return doc{"Name": fmt.Sprintf("t_order_%05d", i), "MappedName": fmt.Sprintf("t_order_%05d", i),
		"Id": fmt.Sprintf("tb_%05d", i), "WhereClause": where, "FilterColumns": []any{"id", "status"},
		"ShardColumns": []any{"id"}, "AdbTableSchema": doc{"PrimaryKeys": []any{"id"}, "DistributedKeys": []any{},
			"PartitionStatement": "null", "PartitionLifeCycle": "null"}}
}

// bigMapping is a case input: base with n tables (and one inserted at
// insertAt when >= 0), stamped later when something was inserted.
func bigMapping(n, insertAt int) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		d := base(t)
		withTables(d, n, insertAt)
		if insertAt >= 0 {
			later(d)
		}
		return indented(t, envelope(d))
	}
}
