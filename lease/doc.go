// Package lease shares keys among replicas through leases in a JetStream
// key-value bucket, so that one replica at a time does the work a key
// stands for: polling a project, or delivering the outbox.
//
// A Set leases the keys of one named group (Options.Group): the poller's
// source, whose keys are project ids, or the outbox, whose one key is the
// dispatcher. Keys hash to a fixed number of shards, each with a lease key
// in a bucket of its own (History 1, every write expiring after the TTL,
// limit markers on); a lease is taken by Create, renewed by Update on its
// revision and handed over by Delete on it, so two replicas never hold
// one. Live replicas heartbeat a member key, and rendezvous hashing over
// them says which shards each should hold: a joining replica takes about
// its share, a stopping one hands its leases over at once, and the leases
// of one that dies expire after the TTL and are taken by the others.
//
// A replica acts on a lease only until the send time of its last
// successful write plus the TTL less a tenth. Owns says whether a key's
// lease is held; Hold holds it for one piece of work, whose context is
// cancelled (cause ErrLost) when the lease is lost, and which a handover
// waits for.
//
// The bucket layout: "members.<base64url(group)>.<base64url(replica)>" and
// "shards.<base64url(group)>.<shard>", the shard count and TTL in the
// bucket's metadata so every replica splits and times the leases alike.
package lease
