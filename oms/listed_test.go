package oms

import (
	"testing"
)

func TestWithMembersFrom(t *testing.T) {
	described, err := Canonicalize(seedData(t))
	if err != nil {
		t.Fatal(err)
	}
	if described.Tree()["TransferMapping"] == nil {
		t.Fatal("the seed has no TransferMapping: the test would prove nothing")
	}
	m := seedData(t)
	m["Status"] = "FAILED"
	delete(m, "TransferMapping") // ListProjects leaves it out
	delete(m, "ExtraInfo")       // and an entry that lacks an object has none of its members
	entry, err := Canonicalize(m)
	if err != nil {
		t.Fatal(err)
	}

	got, err := entry.WithMembersFrom(described)
	if err != nil {
		t.Fatal(err)
	}
	tree := got.Tree()
	if tree["Status"] != "FAILED" {
		t.Errorf("Status = %v, want the entry's FAILED", tree["Status"])
	}
	if tree["TransferMapping"] == nil {
		t.Error("TransferMapping was not taken from the describe")
	}
	if tree["ExtraInfo"] == nil {
		t.Error("ExtraInfo, which the entry lacks, was not taken from the describe")
	}
	if _, ok := entry.Tree()["TransferMapping"]; ok {
		t.Error("the entry was modified")
	}

	same, err := described.WithMembersFrom(entry)
	if err != nil {
		t.Fatal(err)
	}
	if same != described {
		t.Error("a snapshot that lacks nothing was copied")
	}
	back, err := got.WithMembersFrom(described)
	if err != nil || back.Digest() != got.Digest() {
		t.Errorf("completing a complete snapshot changed it (err %v)", err)
	}
}
