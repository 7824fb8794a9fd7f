package config

import (
	"strings"
	"time"
	"unicode"
)

// HA shares the projects among replicas of omswatch that use one NATS
// server or cluster: each project is polled by the one replica holding its
// lease, and the leases of a replica that dies expire after LeaseTTL and
// are taken over by the others. ReplicaID names this replica (default,
// when empty: hostname-pid); it must differ between replicas. The lease
// bucket holds nothing else. LeaseTTL and the number of leases are fixed
// when the bucket is created; replicas started later use the bucket's.
type HA struct {
	Enabled       bool     `yaml:"enabled"`
	ReplicaID     string   `yaml:"replica_id"`
	Bucket        string   `yaml:"bucket"`
	LeaseTTL      Duration `yaml:"lease_ttl"`
	RenewInterval Duration `yaml:"renew_interval"`
}

// maxReplicaID bounds a replica id: it is logged, and kept in every lease.
const maxReplicaID = 128

func (h *HA) validate(v *validator, c *Config) {
	const p = "ha"
	if h.Enabled && c.NATS.IsEmbedded() {
		v.errorf(p+".enabled", "replicas share leases through one NATS, but nats.url is empty, so each replica would run an embedded server of its own and poll every project; set nats.url to the shared server or cluster")
	}
	if len(h.ReplicaID) > maxReplicaID {
		v.errorf(p+".replica_id", "is %d characters long; want at most %d", len(h.ReplicaID), maxReplicaID)
	} else if strings.IndexFunc(h.ReplicaID, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		v.errorf(p+".replica_id", "%q has spaces or control characters; want a name such as omswatch-0", h.ReplicaID)
	}
	if !bucketPattern().MatchString(h.Bucket) {
		v.errorf(p+".bucket", "%q is not a bucket name; use letters, digits, '_' and '-'", h.Bucket)
	}
	for _, other := range []struct{ path, name string }{
		{"store.bucket", c.Store.Bucket}, {"rules.state_bucket", c.Rules.StateBucket}, {"rules.silence_bucket", c.Rules.SilenceBucket},
	} {
		if h.Bucket == other.name && h.Bucket != "" {
			v.errorf(p+".bucket", "%q is also %s; leases need a bucket of their own (every key in it expires)", h.Bucket, other.path)
		}
	}
	switch {
	case h.LeaseTTL < Duration(time.Second):
		// NATS counts per-key TTLs in whole seconds.
		v.errorf(p+".lease_ttl", "%s is too short; want at least 1s", h.LeaseTTL)
	case h.RenewInterval <= 0:
		v.errorf(p+".renew_interval", "must be greater than zero")
	case h.RenewInterval > h.LeaseTTL/2:
		v.errorf(p+".renew_interval", "%s is more than half of ha.lease_ttl %s: one late renewal would lose every lease; want at most %s", h.RenewInterval, h.LeaseTTL, h.LeaseTTL/2)
	}
}
