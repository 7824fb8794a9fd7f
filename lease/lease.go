package lease

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/internal/jsensure"
)

// ErrLost is the cause of a held context's cancellation when its lease
// was lost (not renewed in time, or taken over after expiring).
var ErrLost = errors.New("lease lost")

// DefaultShards is how many leases a new lease bucket divides a group's
// keys into. A lease covers a shard of keys rather than one key, so
// renewing costs the same for 10 projects as for 10,000; 256 spreads them
// evenly over up to a few dozen replicas.
const DefaultShards = 256

// Options configure a Set. Bucket, Group and Replica are required.
type Options struct {
	// Bucket is the lease bucket (its own, not the snapshot bucket: it has
	// History 1 and every key expires TTL after its last write).
	Bucket string
	// Group names what the replicas share: the poller's source for the
	// project leases, the outbox for the dispatcher's. Replicas share
	// leases only with replicas of the same group, so two deployments
	// watching different OMS can use one bucket without taking each
	// other's projects.
	Group string
	// Replica names this replica (unique among replicas: hostname-pid by
	// default in cmd). Two processes given one name still never share a
	// lease: each lease names the process instance that holds it.
	Replica string
	// TTL is how long a lease outlives its holder's last renewal, and so
	// how long the keys of a replica that dies go unheld (default 30s).
	// It is a property of the bucket: set when the bucket is created, and
	// read from the bucket by every replica after that.
	TTL time.Duration
	// RenewInterval is how often leases are renewed and the replicas'
	// shares recomputed (default TTL/3; at most TTL/2).
	RenewInterval time.Duration
	// Shards is how many leases a new bucket has (default
	// DefaultShards); an existing bucket keeps its own.
	Shards int
	// Replicas is the bucket's replication in a NATS cluster (default 1).
	Replicas int
	// Logger receives lease changes (default: discard).
	Logger *slog.Logger
}

// Bucket metadata keys: the lease parameters every replica must agree on
// travel with the bucket, so one misconfigured replica cannot split the
// keys differently from the others.
const (
	metaShards = "omswatch_lease_shards"
	metaTTL    = "omswatch_lease_ttl"
)

// Set divides a group's keys (project ids, or one "dispatcher") among the
// replicas that share a JetStream key-value bucket. Keys hash to shards;
// each shard has one lease key, written by Create (which fails while
// another holds it) and renewed by Update on its revision, so two replicas
// never hold one lease. Every key expires TTL after its last write, so the
// leases of a replica that dies fall free. Each replica heartbeats a member
// key; the shards are shared out by rendezvous hashing over the live
// members, so a replica that joins takes about its share and one that
// leaves gives up only its own. A replica acts on a lease only until its
// last successful write's send time plus TTL less a margin: the server
// starts the TTL later than that, so a lease is never believed held by
// two. Run does the work.
type Set struct {
	kv       jetstream.KeyValue
	id       string        // the replica
	token    []byte        // this process instance: the value of every lease it holds
	prefix   string        // base64url(group) + "."
	ttl      time.Duration // the bucket's: every write expires this long after it is stored
	keyTTL   time.Duration // ttl rounded up to whole seconds, which is what per-key TTLs count in
	margin   time.Duration
	renew    time.Duration
	log      *slog.Logger
	wakeChan chan struct{} // asks Run for a round now

	mu       sync.Mutex
	shards   []shardLease
	members  []string
	acquired uint64
	released uint64
	lost     uint64
}

// shardLease is this replica's view of one shard's lease.
type shardLease struct {
	held      bool
	rev       uint64        // revision of this replica's last write
	valid     time.Time     // this replica may act on the lease until then
	renewed   time.Time     // send time of the last successful write
	holds     int           // holds in flight under the lease
	draining  bool          // being handed over: no new holds
	uncertain bool          // a write's outcome is unknown: it may be ours
	lostCh    chan struct{} // closed when the lease is lost or released
	timer     *time.Timer   // loses the lease at valid unless renewed
}

// groupPrefix is the part of every lease and member key that names the
// group. It is base64url(group) + ".", the layout the leases had when
// they were the poller's and the group its source, so buckets written then
// keep working.
func groupPrefix(group string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(group)) + "."
}

// New opens the lease bucket, creating it with o's TTL and shard
// count when it does not exist. An existing bucket's TTL and shard count
// win over o's (with a warning when they differ): every replica must split
// and time the leases alike.
func New(ctx context.Context, js jetstream.JetStream, o Options) (*Set, error) {
	if err := o.setDefaults(); err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	kv, ttl, shards, err := openBucket(ctx, js, o)
	if err != nil {
		return nil, fmt.Errorf("leases: bucket %s: %w", o.Bucket, err)
	}
	log := o.Logger.With("component", "leases", "replica", o.Replica)
	if ttl != o.TTL || shards != o.Shards {
		log.Warn("the lease bucket was created with other settings; using the bucket's (delete the bucket, with every replica stopped, to change them)",
			"bucket", o.Bucket, "ttl", ttl, "configured_ttl", o.TTL, "shards", shards)
	}
	renew := min(o.RenewInterval, ttl/2)
	l := &Set{kv: kv, id: o.Replica, token: []byte(o.Replica + "/" + rand.Text()),
		prefix: groupPrefix(o.Group), ttl: ttl, keyTTL: max((ttl + time.Second - 1).Truncate(time.Second), time.Second), margin: ttl / 10, renew: renew, log: log,
		wakeChan: make(chan struct{}, 1), shards: make([]shardLease, shards), members: []string{o.Replica}}
	return l, nil
}

func (o *Options) setDefaults() error {
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	if o.TTL <= 0 {
		o.TTL = 30 * time.Second
	}
	if o.RenewInterval <= 0 {
		o.RenewInterval = o.TTL / 3
	}
	if o.Shards <= 0 {
		o.Shards = DefaultShards
	}
	var errs []error
	if o.Bucket == "" {
		errs = append(errs, errors.New("a bucket name is required"))
	}
	if o.Group == "" {
		errs = append(errs, errors.New("a Group is required"))
	}
	if o.Replica == "" {
		errs = append(errs, errors.New("a replica name is required"))
	}
	if o.TTL < time.Second {
		errs = append(errs, fmt.Errorf("TTL %s is too short; want at least 1s (NATS counts per-key TTLs in seconds)", o.TTL))
	}
	if o.RenewInterval > o.TTL/2 {
		errs = append(errs, fmt.Errorf("renew interval %s is more than half the TTL %s: one late renewal would lose every lease", o.RenewInterval, o.TTL))
	}
	return errors.Join(errs...)
}

// openOrCreate opens the lease bucket, or creates it when there
// is none (never updating one: its TTL and shards are what the replicas
// already share).
func openOrCreate(ctx context.Context, js jetstream.JetStream, o Options) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, o.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      o.Bucket,
			Description: "omswatch: which replica holds which leases",
			History:     1,
			// Every write, renewals included, expires TTL after it is
			// stored: Update cannot carry a per-key TTL, so the bucket's
			// age limit is what frees the leases of a dead replica.
			TTL: o.TTL,
			// Markers make expiries visible to watchers (a quick
			// takeover) and are required for per-key TTLs on Create.
			LimitMarkerTTL: max(o.TTL, time.Second),
			Storage:        jetstream.FileStorage,
			Replicas:       max(o.Replicas, 1),
			Metadata:       map[string]string{metaShards: strconv.Itoa(o.Shards), metaTTL: o.TTL.String()},
		})
		if errors.Is(err, jetstream.ErrBucketExists) { // another replica created it first
			kv, err = js.KeyValue(ctx, o.Bucket)
		}
	}
	return kv, err
}

// openBucket opens the bucket or creates it, and returns the TTL and
// shard count it carries.
func openBucket(ctx context.Context, js jetstream.JetStream, o Options) (jetstream.KeyValue, time.Duration, int, error) {
	kv, err := jsensure.Do(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return openOrCreate(ctx, js, o) })
	if err != nil {
		return nil, 0, 0, err
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok || st.TTL() <= 0 || st.History() != 1 || bs.LimitMarkerTTL() <= 0 {
		return nil, 0, 0, errors.New("not a lease bucket (it needs a TTL, History 1 and limit markers); give the leases a bucket of their own")
	}
	shards, err := strconv.Atoi(bs.Metadata()[metaShards])
	if err != nil || shards < 1 {
		return nil, 0, 0, fmt.Errorf("not a lease bucket: metadata %s is %q", metaShards, bs.Metadata()[metaShards])
	}
	return kv, st.TTL(), shards, nil
}

// Replica is this replica's name.
func (l *Set) Replica() string { return l.id }

// TTL is the leases' time to live, as the bucket has it.
func (l *Set) TTL() time.Duration { return l.ttl }

// discardLogger is the logger of a Set given none.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
