package poller

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/omswatch/omswatch/internal/jsensure"
)

// Leases says which projects this replica may poll now. With Options.Leases
// set, the poller polls (and confirms the removal of) only the projects
// whose lease it holds; every replica still discovers the whole fleet.
// *KVLeases is the implementation over JetStream.
type Leases interface {
	// Owns reports whether this replica holds the lease over project now.
	Owns(project string) bool
	// Hold takes the lease over project for the length of one poll. ok is
	// false when the replica does not hold it (or is handing it over), and
	// then the project is not polled. Otherwise hctx is ctx, cancelled with
	// ErrLeaseLost should the lease be lost meanwhile, and done must be
	// called when the poll ends: a lease is handed over only once the polls
	// under it are done.
	Hold(ctx context.Context, project string) (hctx context.Context, done func(), ok bool)
}

// ErrLeaseLost is the cause of a held poll's cancellation when its lease
// was lost (not renewed in time, or taken over after expiring).
var ErrLeaseLost = errors.New("project lease lost")

// DefaultLeaseShards is how many leases a new lease bucket divides the
// projects into. A lease covers a shard of projects rather than one
// project, so renewing costs the same for 10 projects as for 10,000; 256
// spreads them evenly over up to a few dozen replicas.
const DefaultLeaseShards = 256

// LeaseOptions configure KVLeases. Bucket, Source and Replica are required.
type LeaseOptions struct {
	// Bucket is the lease bucket (its own, not the snapshot bucket: it has
	// History 1 and every key expires TTL after its last write).
	Bucket string
	// Source is the poller's Source. Replicas share leases only with
	// replicas of the same Source, so two deployments watching different
	// OMS can use one bucket without taking each other's projects.
	Source string
	// Replica names this replica (unique among replicas: hostname-pid by
	// default in cmd). Two processes given one name still never share a
	// lease: each lease names the process instance that holds it.
	Replica string
	// TTL is how long a lease outlives its holder's last renewal, and so
	// how long the projects of a replica that dies go unpolled (default
	// 30s). It is a property of the bucket: set when the bucket is
	// created, and read from the bucket by every replica after that.
	TTL time.Duration
	// RenewInterval is how often leases are renewed and the replicas'
	// shares recomputed (default TTL/3; at most TTL/2).
	RenewInterval time.Duration
	// Shards is how many leases a new bucket has (default
	// DefaultLeaseShards); an existing bucket keeps its own.
	Shards int
	// Replicas is the bucket's replication in a NATS cluster (default 1).
	Replicas int
	// Logger receives lease changes (default: discard).
	Logger *slog.Logger
}

// Bucket metadata keys: the lease parameters every replica must agree on
// travel with the bucket, so one misconfigured replica cannot split the
// projects differently from the others.
const (
	metaShards = "omswatch_lease_shards"
	metaTTL    = "omswatch_lease_ttl"
)

// KVLeases divides the projects among the replicas that share a JetStream
// key-value bucket. Projects hash to shards; each shard has one lease key,
// written by Create (which fails while another holds it) and renewed by
// Update on its revision, so two replicas never hold one lease. Every key
// expires TTL after its last write, so the leases of a replica that dies
// fall free. Each replica heartbeats a member key; the shards are shared
// out by rendezvous hashing over the live members, so a replica that joins
// takes about its share and one that leaves gives up only its own. A
// replica acts on a lease only until its last successful write's send time
// plus TTL less a margin: the server starts the TTL later than that, so a
// lease is never believed held by two. Run does the work.
type KVLeases struct {
	kv       jetstream.KeyValue
	id       string        // the replica
	token    []byte        // this process instance: the value of every lease it holds
	prefix   string        // base64url(source) + "."
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
	holds     int           // polls in flight under the lease
	draining  bool          // being handed over: no new polls
	uncertain bool          // a write's outcome is unknown: it may be ours
	lostCh    chan struct{} // closed when the lease is lost or released
	timer     *time.Timer   // loses the lease at valid unless renewed
}

// NewKVLeases opens the lease bucket, creating it with o's TTL and shard
// count when it does not exist. An existing bucket's TTL and shard count
// win over o's (with a warning when they differ): every replica must split
// and time the leases alike.
func NewKVLeases(ctx context.Context, js jetstream.JetStream, o LeaseOptions) (*KVLeases, error) {
	if err := o.setDefaults(); err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	kv, ttl, shards, err := openLeaseBucket(ctx, js, o)
	if err != nil {
		return nil, fmt.Errorf("leases: bucket %s: %w", o.Bucket, err)
	}
	log := o.Logger.With("component", "leases", "replica", o.Replica)
	if ttl != o.TTL || shards != o.Shards {
		log.Warn("the lease bucket was created with other settings; using the bucket's (delete the bucket, with every replica stopped, to change them)",
			"bucket", o.Bucket, "ttl", ttl, "configured_ttl", o.TTL, "shards", shards)
	}
	renew := min(o.RenewInterval, ttl/2)
	l := &KVLeases{kv: kv, id: o.Replica, token: []byte(o.Replica + "/" + rand.Text()),
		prefix: Key(o.Source, ""), ttl: ttl, keyTTL: max((ttl + time.Second - 1).Truncate(time.Second), time.Second), margin: ttl / 10, renew: renew, log: log,
		wakeChan: make(chan struct{}, 1), shards: make([]shardLease, shards), members: []string{o.Replica}}
	return l, nil
}

func (o *LeaseOptions) setDefaults() error {
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
		o.Shards = DefaultLeaseShards
	}
	var errs []error
	if o.Bucket == "" {
		errs = append(errs, errors.New("a bucket name is required"))
	}
	if o.Source == "" {
		errs = append(errs, errors.New("a Source is required"))
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

// openOrCreateLeaseBucket opens the lease bucket, or creates it when there
// is none (never updating one: its TTL and shards are what the replicas
// already share).
func openOrCreateLeaseBucket(ctx context.Context, js jetstream.JetStream, o LeaseOptions) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, o.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      o.Bucket,
			Description: "omswatch: which replica polls which projects",
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

// openLeaseBucket opens the bucket or creates it, and returns the TTL and
// shard count it carries.
func openLeaseBucket(ctx context.Context, js jetstream.JetStream, o LeaseOptions) (jetstream.KeyValue, time.Duration, int, error) {
	kv, err := jsensure.Do(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return openOrCreateLeaseBucket(ctx, js, o) })
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
func (l *KVLeases) Replica() string { return l.id }

// TTL is the leases' time to live, as the bucket has it.
func (l *KVLeases) TTL() time.Duration { return l.ttl }

// LeaseStats tell what a replica holds, for metrics and logs.
type LeaseStats struct {
	// Replica is this replica's name.
	Replica string
	// Members is how many replicas share the projects (this one included).
	Members int
	// Shards is how many leases the projects are divided into; Held is how
	// many this replica holds.
	Shards, Held int
	// Acquired, Released and Lost count lease changes since start.
	Acquired, Released, Lost uint64
}

// Stats reports what this replica holds now.
func (l *KVLeases) Stats() LeaseStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := LeaseStats{Replica: l.id, Members: len(l.members), Shards: len(l.shards),
		Acquired: l.acquired, Released: l.released, Lost: l.lost}
	now := time.Now()
	for i := range l.shards {
		if l.usable(&l.shards[i], now) {
			s.Held++
		}
	}
	return s
}

// usable reports whether the replica may act on a lease now. l.mu is held.
func (l *KVLeases) usable(s *shardLease, now time.Time) bool {
	return s.held && now.Before(s.valid)
}

// Owns reports whether this replica holds the lease over project now.
func (l *KVLeases) Owns(project string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &l.shards[shardOf(project, len(l.shards))]
	return l.usable(s, time.Now()) && !s.draining
}

// Hold takes the lease over project for one poll; see Leases.
func (l *KVLeases) Hold(ctx context.Context, project string) (context.Context, func(), bool) {
	i := shardOf(project, len(l.shards))
	l.mu.Lock()
	s := &l.shards[i]
	if !l.usable(s, time.Now()) || s.draining {
		l.mu.Unlock()
		return ctx, func() {}, false
	}
	s.holds++
	lost := s.lostCh
	l.mu.Unlock()
	hctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-lost:
			cancel(ErrLeaseLost)
		case <-hctx.Done():
		}
	}()
	var once sync.Once
	return hctx, func() {
		once.Do(func() {
			cancel(nil)
			l.unhold(i)
		})
	}, true
}

// unhold ends one poll under shard i's lease; the last poll of a shard
// being handed over asks for a round, which releases it.
func (l *KVLeases) unhold(i int) {
	l.mu.Lock()
	s := &l.shards[i]
	s.holds--
	wake := s.draining && s.holds == 0
	l.mu.Unlock()
	if wake {
		l.wake()
	}
}

// wake asks Run for a round as soon as it can.
func (l *KVLeases) wake() {
	select {
	case l.wakeChan <- struct{}{}:
	default:
	}
}
