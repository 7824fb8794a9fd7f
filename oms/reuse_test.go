package oms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// checkReuse parses body with ParseSnapshotReusing(body, prev) and with
// ParseSnapshot and fails unless they agree on everything: the error, the
// canonical JSON, the digest, the tree and the span index. It also checks
// the memo the reusing parse made. It returns the reusing parse's snapshot
// (nil on error), for the next parse of a chain.
func checkReuse(t testing.TB, body []byte, prev *Snapshot) *Snapshot {
	t.Helper()
	want, wantErr := ParseSnapshot(body)
	got, gotErr := ParseSnapshotReusing(body, prev)
	if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
		t.Fatalf("errors differ on %.200q:\nplain:   %v\nreusing: %v", body, wantErr, gotErr)
	}
	if wantErr != nil {
		return nil
	}
	if !bytes.Equal(got.JSON(), want.JSON()) || got.Digest() != want.Digest() {
		t.Fatalf("canonical JSON differs on %.200q:\nplain:   %.400s\nreusing: %.400s", body, want.JSON(), got.JSON())
	}
	if !reflect.DeepEqual(got.index, want.index) {
		t.Fatalf("span index differs on %.200q:\nplain:   %v\nreusing: %v", body, want.index, got.index)
	}
	if !reflect.DeepEqual(got.tree, want.tree) {
		t.Fatalf("tree differs on %.200q", body)
	}
	checkMemo(t, got)
	return got
}

// checkMemo checks that every memo entry says the truth: its bytes hash to
// its hash, its canonical bytes are its value's, and the entries nested in
// it lie inside it.
func checkMemo(t testing.TB, s *Snapshot) {
	t.Helper()
	m := s.reuse
	if m == nil {
		return // the plain path's snapshot: the reusing parse gave up on the document
	}
	p := rawParse{seed: m.seed}
	for i, e := range m.entries {
		raw := m.raw[e.rs:e.re]
		if p.hash(e.c, raw) != e.hash {
			t.Fatalf("entry %d: hash is not that of its bytes %.100q", i, raw)
		}
		if e.keyOf != identNone {
			key := identityKey(e.val, e.keyOf)
			if key == "" {
				key = fallbackPrefix + contentHash(e.val)
			}
			if key != e.key {
				t.Fatalf("entry %d: key %q is not its value's %q", i, e.key, key)
			}
		}
		if got := appendCanonical(nil, e.val); !bytes.Equal(got, m.json[e.js:e.je]) {
			t.Fatalf("entry %d: canonical bytes %.100q are not its value's %.100q", i, m.json[e.js:e.je], got)
		}
		for _, d := range m.entries[i+1 : i+1+int(e.desc)] {
			if d.rs < e.rs || d.re > e.re || d.js < e.js || d.je > e.je || d.c.depth <= e.c.depth {
				t.Fatalf("entry %d: a nested entry lies outside it", i)
			}
		}
		if j, ok := m.find(e.c, e.hash, raw); !ok || m.entries[j].hash != e.hash {
			t.Fatalf("entry %d cannot be found", i)
		}
	}
}

// reusePairs are (previous, new) responses: generated projects of tables
// tables and their changes, spellings, layouts and envelopes, and the diff
// goldens.
func reusePairs(t testing.TB, tables int) [][2][]byte {
	t.Helper()
	compact := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	seed := readFile(t, seedPath)
	big := bigProject(t, 3, tables, nil, -1)
	changed := bigProject(t, 3, tables, nil, 7)
	shuffled := bigProject(t, 3, tables, rand.New(rand.NewPCG(1, 2)), 5)
	bare := compact(big["Data"])
	pairs := [][2][]byte{
		{seed, seed},
		{seed, marshalInput(t, Respell(seedEnvelope(t), OnPrem))},
		{compact(big), compact(changed)},
		{compact(big), compact(shuffled)},
		{compact(changed), marshalInput(t, changed)},
		{bare, compact(big)},
		{compact(big), bare},
		{compact(big), append([]byte("\xef\xbb\xbf "), bare...)},
		{compact(big), bytes.Replace(compact(big), []byte(`"Success":true`), []byte(`"Success":false`), 1)},
		{compact(big), bytes.Replace(compact(changed), []byte(`"Name":"t_00007"`), []byte(`"Name":"t_00001"`), 1)},
		{compact(big), bytes.Replace(compact(changed), []byte(`"Name":"t_00007"`), []byte(`"Name":null`), 1)},
		{compact(big), bytes.Replace(compact(changed), []byte(`"Name":"db_01"`), []byte(`"name":"db_01"`), 1)},
		{compact(big), bytes.Replace(compact(changed), []byte(`"Databases":`), []byte(`"Tables":[],"Databases":`), 1)},
		{compact(big), bytes.Replace(compact(changed), []byte(`"Id"`), []byte(`"\u0049d"`), 3)},
	}
	dirs, _ := filepath.Glob("../testdata/diff/*")
	for _, dir := range dirs {
		old, _ := os.ReadFile(filepath.Join(dir, "old.json"))
		cur, _ := os.ReadFile(filepath.Join(dir, "new.json"))
		pairs = append(pairs, [2][]byte{old, cur})
	}
	return pairs
}

// TestReuseMatchesPlain parses each pair's new response reusing the
// previous one's snapshot (and the other way round, and each reusing
// itself) and expects exactly what ParseSnapshot gives.
func TestReuseMatchesPlain(t *testing.T) {
	for _, pair := range reusePairs(t, 60) {
		old, cur := pair[0], pair[1]
		prev := checkReuse(t, old, nil)
		next := checkReuse(t, cur, prev)
		if next != nil {
			checkReuse(t, old, next)
			checkReuse(t, cur, next)
		}
		if plain, err := ParseSnapshot(old); err == nil {
			checkReuse(t, cur, plain) // a snapshot without a memo: nothing reused
		}
	}
}

// TestReuseReuses checks that the memo is used: a response whose Data is
// unchanged gives the previous snapshot's values, and one changed table
// leaves the others shared.
func TestReuseReuses(t *testing.T) {
	old, err := json.Marshal(bigProject(t, 3, 60, nil, -1))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := json.Marshal(bigProject(t, 3, 60, nil, 37))
	if err != nil {
		t.Fatal(err)
	}
	prev := checkReuse(t, old, nil)
	same := checkReuse(t, bytes.Replace(old, []byte(`"Cost":"1"`), []byte(`"Cost":"2"`), 1), prev)
	if reflect.ValueOf(same.tree).Pointer() != reflect.ValueOf(prev.tree).Pointer() {
		t.Error("an unchanged Data was decoded again")
	}
	next := checkReuse(t, cur, prev)
	dbs := func(s *Snapshot) map[string]any {
		return s.tree["TransferMapping"].(map[string]any)["Databases"].(map[string]any)
	}
	shared := 0
	for name, db := range dbs(next) {
		if reflect.ValueOf(db).Pointer() == reflect.ValueOf(dbs(prev)[name]).Pointer() {
			shared++
		}
	}
	if shared != 2 {
		t.Errorf("%d of 3 databases shared, want the 2 without the changed table", shared)
	}
}

// TestBuildTape checks the tape on nesting, strings and bad brackets.
func TestBuildTape(t *testing.T) {
	tape, ok := buildTape([]byte(`{"a":[1,{"b":"]\"}"}],"c":{}}`), nil)
	want := []tapeEntry{{0, 29, 3}, {5, 21, 1}, {8, 20, 0}, {26, 28, 0}}
	if !ok || !reflect.DeepEqual(tape, want) {
		t.Errorf("tape = %v, %v; want %v", tape, ok, want)
	}
	for _, bad := range []string{`{]`, `[}`, `{"a":1`, `{"a`, `}`, `{"a":"\"}`} {
		if _, ok := buildTape([]byte(bad), nil); ok {
			t.Errorf("buildTape(%q) accepted it", bad)
		}
	}
}

// FuzzReuse checks that for any previous and new response the reusing parse
// gives exactly what the plain parse gives, reusing the previous snapshot,
// the new one itself, or a snapshot without a memo, and never panics.
func FuzzReuse(f *testing.F) {
	// Small projects: every execution parses each input five times.
	for _, pair := range reusePairs(f, 12) {
		f.Add(pair[0], pair[1])
	}
	f.Add([]byte(`{"Id":"p","Steps":[{"Name":"a","X":[1,2,3,4,5]},{"Name":"b","X":[1,2,3,4,5]}]}`),
		[]byte(`{"Id":"p","Steps":[{"Name":"b","X":[1,2,3,4,5]},{"Name":"a","X":[1,2,3,4,6]}]}`))
	f.Add([]byte(`{"Data":{"Id":"p","TransferMapping":{"Databases":[{"Name":"d","Tables":[{"Name":"t","W":"xxxxxxxxxx"}]}]}}}`),
		[]byte(`{"Data":{"Id":"p","TransferMapping":{"Databases":[{"Name":"d","Tables":[{"Name":"t","W":"xxxxxxxxxx"},{"Name":"t","W":"y"}]}]}}}`))
	f.Fuzz(func(t *testing.T, old, cur []byte) {
		prev := checkReuse(t, old, nil)
		next := checkReuse(t, cur, prev)
		if next != nil {
			checkReuse(t, cur, next)
			checkReuse(t, old, next)
		}
		if prev != nil {
			checkReuse(t, cur, &Snapshot{tree: prev.tree, json: prev.json, digest: prev.digest, index: prev.index})
		}
	})
}

// TestMemoHashSeedShared checks that a chain of snapshots keeps one seed,
// without which nothing would ever be found again.
func TestMemoHashSeedShared(t *testing.T) {
	seed := readFile(t, seedPath)
	a := checkReuse(t, seed, nil)
	b := checkReuse(t, seed, a)
	if a.reuse.seed != b.reuse.seed || a.reuse.seed == (maphash.Seed{}) {
		t.Error("the seed is not carried from one snapshot to the next")
	}
}

// FuzzDecodeRaw checks that decodeRaw, which reads common values itself,
// decodes any bytes as encoding/json (the reference of the plain path)
// does, and refuses what it refuses.
func FuzzDecodeRaw(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\n\u00e9\u2028",true,null,{}],"b":"\ud83d\ude00"}`,
		`"a\"b\\c\/\b\f\r\t"`, `"\u0000\u001f\uffff"`, `"\ud800"`, `"\x"`, `[1,]`, `{"a":1,"a":2}`,
		`01`, `-`, `1.`, `tru`, `nullx`, `"é"`, "\"\xff\"", `[[[[]]]]`, `{"k" : 1 , "v":[ ] }`,
		`{"a":{"b":{"c":1,"x":{}},"d":2},"e":[{"g":1,"h":{"i":[{"j":0}]}},{}],"k":3}`, `{"a":{"b":1,"b":{"c":2}},"a":{"d":3}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) == 0 {
			return
		}
		got, ok := decodeRaw(raw)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var want any
		err := dec.Decode(&want)
		if err == nil {
			if _, end := dec.Token(); end != io.EOF {
				err = fmt.Errorf("data after the value: %v", end)
			}
		}
		if ok != (err == nil) || (ok && !reflect.DeepEqual(got, want)) {
			t.Fatalf("decodeRaw(%q) = %#v, %v; encoding/json gives %#v, %v", raw, got, ok, want, err)
		}
	})
}
