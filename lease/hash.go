package lease

import "hash/fnv"

// shardOf is the shard of a key among n.
func shardOf(key string, n int) int {
	return int(mix64(hash64(key)) % uint64(n))
}

// ownerOf is the member that rendezvous hashing gives shard i: the one
// with the highest score for the pair. When a member leaves, only its own
// shards move; when one joins, it takes about 1/len(members) of each
// other's. Ties (practically impossible) go to the smaller name, so every
// replica computes the same owner.
func ownerOf(i int, members []string) string {
	best, bestScore := "", uint64(0)
	for _, m := range members {
		s := mix64(hash64(m) ^ mix64(uint64(i)+0x9e3779b97f4a7c15))
		if best == "" || s > bestScore || (s == bestScore && m < best) {
			best, bestScore = m, s
		}
	}
	return best
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// mix64 is splitmix64's finalizer: FNV alone leaves similar names (pod-0,
// pod-1) with correlated scores, which would skew the shares.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
