package config

import (
	"fmt"

	"github.com/omswatch/omswatch/omsapi"
)

// Discovery modes: how often a project is described in full.
const (
	// DiscoveryTwoTier reads the fleet through ListProjects pages and calls
	// DescribeProject only for projects whose listed state changed (or whose
	// last describe is older than DescribeRefresh): the API's rate limit is
	// the real bound on fleet size.
	DiscoveryTwoTier = "two_tier"
	// DiscoveryDescribeAlways calls DescribeProject for every project on
	// every cycle.
	DiscoveryDescribeAlways = "describe_always"
)

// How first sightings are announced to chat targets (Slack): each with a
// message of its own; summary: one message per poll cycle of first
// sightings, and the projects with problems on their own; none: only the
// projects with problems. The audit trail, NATS and webhooks get every
// event in every case.
const (
	AnnounceEach    = "each"
	AnnounceSummary = "summary"
	AnnounceNone    = "none"
)

// Discovery says which projects to watch: a static list of ids, the
// projects ListProjects returns for some filters, or both.
type Discovery struct {
	Projects               []string `yaml:"projects"`
	List                   List     `yaml:"list"`
	Mode                   string   `yaml:"mode"`
	DescribeRefresh        Duration `yaml:"describe_refresh"`
	DescribeRate           float64  `yaml:"describe_rate"`
	DescribeAlwaysProjects []string `yaml:"describe_always_projects"`
	Announce               string   `yaml:"announce"`
}

// List is discovery through ListProjects. Empty filters do not filter.
type List struct {
	Enabled             bool     `yaml:"enabled"`
	Types               []string `yaml:"types"`
	Statuses            []string `yaml:"statuses"`
	LabelIDs            []string `yaml:"label_ids"`
	SearchKey           string   `yaml:"search_key"`
	SourceEndpointTypes []string `yaml:"source_endpoint_types"`
	SinkEndpointTypes   []string `yaml:"sink_endpoint_types"`
	PageSize            int      `yaml:"page_size"`
	Refresh             string   `yaml:"refresh"`
}

// maxLabelIDs is ListProjects' limit on the LabelIds filter.
const maxLabelIDs = 5

// projectIDPattern is what OMS project ids look like (np_5q8e2d1ed7xs).
var projectIDPattern = lazyRegexp(`^np_[A-Za-z0-9_-]+$`)

func (d *Discovery) validate(v *validator, mode string) {
	checkProjectIDs(v, "discovery.projects", d.Projects)
	d.List.validate(v, mode == omsapi.ModeOnPrem)
	if v.oneOf("discovery.mode", d.Mode, DiscoveryTwoTier, DiscoveryDescribeAlways) &&
		d.Mode == DiscoveryDescribeAlways && len(d.DescribeAlwaysProjects) > 0 {
		v.errorf("discovery.describe_always_projects", "is redundant with mode describe_always, which describes every project every cycle")
	}
	v.positive("discovery.describe_refresh", d.DescribeRefresh > 0)
	if d.DescribeRate < 0 {
		v.errorf("discovery.describe_rate", "%g describes a second; want 0 (a fifth of oms.qps) or more", d.DescribeRate)
	}
	v.oneOf("discovery.announce", d.Announce, AnnounceEach, AnnounceSummary, AnnounceNone)
	checkProjectIDs(v, "discovery.describe_always_projects", d.DescribeAlwaysProjects)
	if (mode == omsapi.ModeCloud || mode == omsapi.ModeOnPrem) && len(d.Projects) == 0 && !d.List.Enabled && !v.failed("discovery.projects") {
		v.errorf("discovery", "nothing to watch: list project ids in discovery.projects, or set discovery.list.enabled: true to discover them with ListProjects")
	}
}

func checkProjectIDs(v *validator, path string, ids []string) {
	for i, id := range ids {
		if !projectIDPattern().MatchString(id) {
			v.errorf(fmt.Sprintf("%s[%d]", path, i), "%q is not an OMS project id; ids look like np_5q8e2d1ed7xs", id)
		}
	}
	v.unique(path, ids)
}

func (l *List) validate(v *validator, onprem bool) {
	const p = "discovery.list"
	if !l.Enabled {
		// Filters on a disabled list would be silently ignored.
		for _, k := range []string{"types", "statuses", "label_ids", "search_key", "source_endpoint_types", "sink_endpoint_types", "page_size", "refresh"} {
			if v.set(p + "." + k) {
				v.keyErrorf(p+"."+k, "is only used when discovery.list.enabled is true")
			}
		}
	}
	v.eachOneOf(p+".types", l.Types, projectTypes(onprem)...)
	v.eachOneOf(p+".statuses", l.Statuses, projectStatuses()...)
	v.eachOneOf(p+".source_endpoint_types", l.SourceEndpointTypes, endpointTypes()...)
	v.eachOneOf(p+".sink_endpoint_types", l.SinkEndpointTypes, endpointTypes()...)
	if len(l.LabelIDs) > maxLabelIDs {
		v.errorf(p+".label_ids", "has %d ids; ListProjects takes at most %d", len(l.LabelIDs), maxLabelIDs)
	}
	for i, id := range l.LabelIDs {
		if id == "" {
			v.errorf(fmt.Sprintf("%s.label_ids[%d]", p, i), "is empty; want a label id (ListAllLabels shows them)")
		}
	}
	v.unique(p+".label_ids", l.LabelIDs)
	if l.PageSize < 1 || l.PageSize > 150 {
		v.errorf(p+".page_size", "%d is out of range; want 1 to 150 (the ListProjects limit)", l.PageSize)
	}
	v.checkSpec(p+".refresh", l.Refresh)
}
