package omsapi

import (
	"testing"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/secret"
)

// BenchmarkDecodeListPage decodes one ListProjects page of 150 generated
// projects (about 880 KB, the cloud spelling, as the simulator answers it)
// and takes each entry's state digest, which is what the poller does with
// every page of a fleet read. Its bytes and allocations a page are what
// the collector's share of a 100,000-project run follows:
//
//	go test ./omsapi -run '^$' -bench DecodeListPage -benchmem
func BenchmarkDecodeListPage(b *testing.B) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 1, Projects: 1000})
	if err != nil {
		b.Fatal(err)
	}
	sim := omssim.StartTest(b, omssim.Options{Scenario: g})
	sim.Advance(3)
	tr, err := NewCloud(CloudOptions{Region: "cn-hangzhou", Endpoint: sim.URL, AccessKeyID: omssim.DemoAccessKeyID,
		AccessKeySecret: secret.New(omssim.DemoAccessKeySecret)})
	if err != nil {
		b.Fatal(err)
	}
	r, err := tr.Do(b.Context(), ActionListProjects, map[string]any{"PageNumber": 1, "PageSize": oms.MaxPageSize, "NeedRelatedInfo": true})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(r.Body)))
	b.ReportAllocs()
	for b.Loop() {
		pg, err := oms.DecodeProjectList(r.Status, r.Body)
		if err != nil {
			b.Fatal(err)
		}
		if len(pg.Projects) != oms.MaxPageSize {
			b.Fatalf("%d entries, want %d", len(pg.Projects), oms.MaxPageSize)
		}
		for _, s := range pg.Projects {
			s.StateDigest()
		}
	}
}
