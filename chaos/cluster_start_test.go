package chaos

import (
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/sinks"
)

// Two HA replicas started at the same moment against a fresh 3-node
// cluster (a Deployment of 2 rolled out on a new NATS cluster) create the
// same replicated streams and buckets together. nats-server can leave both
// creators of one stream waiting until their deadline; before
// internal/jsensure one replica exited 1 and needed a restart. Both must
// come up by themselves, be ready, and share the projects.
func TestClusterReplicasStartTogether(t *testing.T) {
	w := newWorld(t, size(4, 8), 2, 37, "chaos-start", "chaos-start-secret")
	_, all := startCluster(t, "s")
	_, js := connect(t, all, "", "")
	createDelivered(t, js, 3) // the NATS target's own stream, which omswatch does not create
	dir := t.TempDir()
	var reps []*omswatchProc
	for _, id := range []string{"start-a", "start-b"} {
		cfg := w.writeConfig(dir, cfgOptions{natsURL: all, replicas: 3, replicaID: id, noCore: true})
		reps = append(reps, newOmswatch(t, id, dir, cfg))
	}
	start := time.Now()
	for _, p := range reps {
		p.Start() // together: nothing in between
	}
	var addrs []string
	for _, p := range reps {
		addrs = append(addrs, p.HTTPAddr(addrTimeout))
	}
	held := func(i int) float64 { return leasesHeld(addrs[i]) }
	proctest.Eventually(t, 120*time.Second, "both replicas ready and sharing the project leases", func() bool {
		for i, p := range reps {
			if p.Exited() {
				t.Fatalf("replica %d exited with %d while starting:\n%s", i, p.ExitCode(), proctest.Tail(p.Stderr(), 3000))
			}
			if code, _ := proctest.Get(addrs[i], "/readyz"); code != 200 {
				return false
			}
		}
		a, b := held(0), held(1)
		return a > 0 && b > 0 && a+b == 256
	})
	ready := time.Since(start)
	for i, p := range reps {
		if p.Starts() != 1 || p.Exited() {
			t.Errorf("replica %d: %d starts, exited %v", i, p.Starts(), p.Exited())
		}
	}
	for _, name := range []string{"KV_" + config.Default().Store.Bucket, "KV_" + config.Default().HA.Bucket, sinks.DefaultStream} {
		info, err := js.Stream(t.Context(), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r := info.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("%s has %d replicas; store.replicas is 3", name, r)
		}
	}
	t.Logf("FIGURE cluster_start: nodes=3 replicas=2 both_ready_and_sharing_after=%s", ready.Round(100*time.Millisecond))
}
