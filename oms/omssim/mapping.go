package omssim

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// tablePrefixes name generated tables.
var tablePrefixes = []string{"t_order", "t_item", "t_user", "t_invoice", "t_event", "t_log", "t_stock", "t_payment"}

// mapping builds TransferMapping: the project's tables spread over a few
// databases. It is the bulk of a big project's answer (about 200 bytes a
// table), and derived from the project's seed alone so it never changes.
func (g *Generator) mapping(sp *projectSpec) *transferMapping {
	r := rand.New(rand.NewPCG(sp.noise, 0x6d6170)) // "map"
	ndb := min(10, 1+sp.tables/500)
	first := r.IntN(len(dbNames))
	tm := &transferMapping{Mode: "SPECIFIC", DatabasesBlack: []databaseDoc{},
		TableAndViewWhiteList: []string{}, TableAndViewBlackList: []string{}}
	for d := range ndb {
		name := dbNames[(first+d)%len(dbNames)]
		count := sp.tables / ndb
		if d < sp.tables%ndb {
			count++
		}
		db := databaseDoc{
			Type: sp.src.typ, Id: "db_" + base36(r, 10), Name: caseFor(sp.src, name), MappedName: caseFor(sp.sink, name),
			Tables: make([]tableDoc, 0, count), Views: []tableDoc{}, SpecificTables: []tableDoc{}, SpecificViews: []tableDoc{},
		}
		if sp.sink.ob {
			db.TenantName = ptr(tenantOf(sp.sink))
		}
		for i := range count {
			t := fmt.Sprintf("%s_%04d", tablePrefixes[i%len(tablePrefixes)], i/len(tablePrefixes)+1)
			db.Tables = append(db.Tables, g.table(sp, r, t))
		}
		if d == 0 && count >= 5 {
			db.Views = append(db.Views, g.table(sp, r, "v_"+name+"_summary"))
		}
		tm.Databases = append(tm.Databases, db)
	}
	return tm
}

func (g *Generator) table(sp *projectSpec, r *rand.Rand, name string) tableDoc {
	return tableDoc{
		Name: caseFor(sp.src, name), MappedName: caseFor(sp.sink, name), Id: "tb_" + base36(r, 10),
		FilterColumns: []string{}, ShardColumns: []string{},
		AdbTableSchema: &adbTableSchema{PrimaryKeys: []string{caseFor(sp.src, "id")}, DistributedKeys: []string{}},
	}
}

// caseFor upper-cases names on Oracle-mode endpoints, as Oracle folds them.
func caseFor(e endpoint, name string) string {
	if e.oracle {
		return strings.ToUpper(name)
	}
	return name
}
