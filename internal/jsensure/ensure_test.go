package jsensure

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startCluster starts three clustered JetStream servers in this process
// on loopback and returns their client URLs.
func startCluster(t *testing.T) []string {
	t.Helper()
	routes := []int{freePort(t), freePort(t), freePort(t)}
	var urls []string
	for i := range 3 {
		o := &server.Options{ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1, NoSigs: true,
			JetStream: true, StoreDir: t.TempDir(),
			Cluster: server.ClusterOpts{Name: "jsensure", Host: "127.0.0.1", Port: routes[i]}}
		for j, p := range routes {
			if j != i {
				o.Routes = append(o.Routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)})
			}
		}
		s, err := server.NewServer(o)
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		t.Cleanup(s.Shutdown)
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("server %d did not start", i+1)
		}
		urls = append(urls, s.ClientURL())
	}
	return urls
}

func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return js
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream not available at %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Two replicas starting together on a cluster create the same replicated
// buckets at the same moments, in the same order. Without retries, both
// wait out their deadline (see the package comment); with Do every bucket
// is made, both clients get it, and it takes writes from both.
func TestReplicasCreatingTheSameBucketsTogether(t *testing.T) {
	urls := startCluster(t)
	clients := []jetstream.JetStream{connect(t, urls[0]), connect(t, urls[1])}
	p := Policy{AttemptTimeout: 2 * time.Second, Attempts: 10, MaxPause: time.Second}
	buckets := []string{"snapshots", "leases", "rules_state", "silences", "slack_threads"}
	start := make(chan struct{})
	errs := make([][]error, len(clients))
	var wg sync.WaitGroup
	for i, js := range clients {
		errs[i] = make([]error, len(buckets))
		wg.Go(func() {
			<-start
			for b, name := range buckets {
				kv, err := DoWith(t.Context(), p, func(ctx context.Context) (jetstream.KeyValue, error) {
					return js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, Replicas: 3, History: 1})
				})
				if err == nil {
					ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
					_, err = kv.Put(ctx, fmt.Sprintf("from-%d", i), []byte("x"))
					cancel()
				}
				errs[i][b] = err
			}
		})
	}
	close(start)
	wg.Wait()
	for i := range clients {
		for b, err := range errs[i] {
			if err != nil {
				t.Errorf("client %d, bucket %s: %v", i, buckets[b], err)
			}
		}
	}
	for _, name := range buckets {
		kv, err := clients[0].KeyValue(t.Context(), name)
		if err != nil {
			t.Fatalf("bucket %s: %v", name, err)
		}
		st, err := kv.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Values() != 2 {
			t.Errorf("bucket %s holds %d values; each client wrote one", name, st.Values())
		}
		if r := st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Replicas; r != 3 {
			t.Errorf("bucket %s has %d replicas", name, r)
		}
	}
}

func TestWhatIsTriedAgain(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{context.DeadlineExceeded, true},
		{fmt.Errorf("create: %w", context.DeadlineExceeded), true},
		{nats.ErrTimeout, true},
		{nats.ErrNoResponders, true},
		{&jetstream.APIError{ErrorCode: clusterNotAvailable, Description: "JetStream system temporarily unavailable"}, true},
		{&jetstream.APIError{ErrorCode: 10074, Description: "replicas > 1 not supported in non-clustered mode"}, false},
		{jetstream.ErrJetStreamNotEnabled, false},
		{errors.New("stream name already in use with a different configuration"), false},
	} {
		if got := Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// A permanent error is returned at once, a transient one until the
// attempts are used up, and the caller's context ends the retries.
func TestAttempts(t *testing.T) {
	calls := 0
	_, err := DoWith(t.Context(), Policy{Attempts: 5, MaxPause: time.Millisecond}, func(context.Context) (int, error) {
		calls++
		return 0, jetstream.ErrJetStreamNotEnabled
	})
	if !errors.Is(err, jetstream.ErrJetStreamNotEnabled) || calls != 1 {
		t.Errorf("permanent error: %d calls, %v", calls, err)
	}
	calls = 0
	_, err = DoWith(t.Context(), Policy{Attempts: 3, MaxPause: time.Millisecond}, func(context.Context) (int, error) {
		calls++
		return 0, nats.ErrTimeout
	})
	if !errors.Is(err, nats.ErrTimeout) || calls != 3 {
		t.Errorf("transient error: %d calls, %v", calls, err)
	}
	calls = 0
	v, err := DoWith(t.Context(), Policy{Attempts: 3, MaxPause: time.Millisecond}, func(context.Context) (int, error) {
		calls++
		if calls < 3 {
			return 0, nats.ErrNoResponders
		}
		return 42, nil
	})
	if err != nil || v != 42 || calls != 3 {
		t.Errorf("success on the third attempt: %d calls, %d, %v", calls, v, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	calls = 0
	_, err = DoWith(ctx, Policy{Attempts: 100, MaxPause: time.Millisecond}, func(context.Context) (int, error) {
		calls++
		cancel()
		return 0, nats.ErrTimeout
	})
	if err == nil || calls != 1 {
		t.Errorf("cancelled: %d calls, %v", calls, err)
	}
}
