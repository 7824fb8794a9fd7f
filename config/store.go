package config

// Store is where state lives: snapshots in a JetStream key-value bucket and
// the audit trail of events in a stream. Dir holds the embedded NATS
// server's JetStream files; unlike files the configuration reads, it is
// relative to the working directory (so the zero-configuration demo writes
// ./omswatch-data wherever it is started). Replicas is how many servers of a
// NATS cluster keep each of omswatch's buckets and streams (3 on a 3-node
// cluster, so losing a server loses nothing; 1 on the embedded server).
type Store struct {
	Dir         string    `yaml:"dir"`
	Bucket      string    `yaml:"bucket"`
	DedupWindow Duration  `yaml:"dedup_window"`
	Retention   Retention `yaml:"retention"`
	Delivery    Delivery  `yaml:"delivery"`
	Replicas    int       `yaml:"replicas"`
}

// Delivery says how hard a target is tried: a notification that fails
// MaxAttempts times (backing off from InitialBackoff, doubling up to
// MaxBackoff) goes to the dead-letter stream with the reason. Errors that
// cannot pass (invalid_auth, a 4xx) go there at the first failure.
// FallbackTo, if set, is the target a critical event's dead letter is sent
// to as well; FailingAfter is how long a target may fail without a
// success before oms.target.failing tells about it.
type Delivery struct {
	MaxAttempts    int      `yaml:"max_attempts"`
	InitialBackoff Duration `yaml:"initial_backoff"`
	MaxBackoff     Duration `yaml:"max_backoff"`
	FallbackTo     string   `yaml:"fallback_to"`
	FailingAfter   Duration `yaml:"failing_after"`
}

// Retention bounds the audit trail: events older than MaxAge, or beyond
// MaxBytes in total (0: no size limit), are dropped oldest first.
type Retention struct {
	MaxAge   Duration `yaml:"max_age"`
	MaxBytes ByteSize `yaml:"max_bytes"`
}

// bucketPattern is what JetStream allows in bucket and stream names.
var bucketPattern = lazyRegexp(`^[A-Za-z0-9_-]+$`)

// maxReplicas is JetStream's limit on a stream's replicas.
const maxReplicas = 5

func (s *Store) validate(v *validator, embedded bool) {
	switch {
	case s.Replicas < 1 || s.Replicas > maxReplicas:
		v.errorf("store.replicas", "%d is out of range; want 1 to %d (JetStream's limit), e.g. 3 on a 3-node cluster", s.Replicas, maxReplicas)
	case s.Replicas > 1 && embedded:
		v.errorf("store.replicas", "%d needs a NATS cluster, but nats.url is empty and the embedded server is a single node; set nats.url or replicas: 1", s.Replicas)
	}
	if s.Dir == "" {
		v.errorf("store.dir", "is empty; want a directory for the embedded server's data, e.g. ./omswatch-data")
	}
	if !bucketPattern().MatchString(s.Bucket) {
		v.errorf("store.bucket", "%q is not a bucket name; use letters, digits, '_' and '-'", s.Bucket)
	}
	v.positive("store.dedup_window", s.DedupWindow > 0)
	v.positive("store.delivery.max_attempts", s.Delivery.MaxAttempts > 0)
	v.positive("store.delivery.initial_backoff", s.Delivery.InitialBackoff > 0)
	if s.Delivery.MaxBackoff < s.Delivery.InitialBackoff {
		v.errorf("store.delivery.max_backoff", "%s is shorter than store.delivery.initial_backoff %s", s.Delivery.MaxBackoff, s.Delivery.InitialBackoff)
	}
	v.positive("store.delivery.failing_after", s.Delivery.FailingAfter > 0)
	v.positive("store.retention.max_age", s.Retention.MaxAge > 0)
	if s.Retention.MaxAge > 0 && s.DedupWindow > s.Retention.MaxAge {
		// JetStream refuses a stream whose duplicate window exceeds MaxAge.
		v.errorf("store.dedup_window", "%s is longer than store.retention.max_age %s; JetStream needs it to be at most max_age", s.DedupWindow, s.Retention.MaxAge)
	}
}
