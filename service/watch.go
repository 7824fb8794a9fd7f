package service

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/omswatch/omswatch/config"
)

// watchFiles reports on the returned channel when any file the watched
// configuration reads (the file, included rules, secret and TLS files)
// changes content, appears or disappears. It checks every
// --watch-interval, by content: a Kubernetes ConfigMap update swaps a
// symlink and keeps modification times that say little.
func (s *Service) watchFiles(ctx context.Context, cfg *config.Config) <-chan struct{} {
	out := make(chan struct{}, 1)
	if s.o.ConfigFile == "" || s.o.WatchInterval <= 0 {
		return out
	}
	s.watch(cfg)
	go func() {
		t := time.NewTicker(s.o.WatchInterval)
		defer t.Stop()
		last := s.fingerprint()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			// A reload changes the watched configuration and reads the
			// files itself: compare against what it read, not what we did.
			fp := s.fingerprint()
			if fp == last {
				continue
			}
			last = fp
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out
}

// watch makes cfg's files the watched ones.
func (s *Service) watch(cfg *config.Config) {
	s.watchMu.Lock()
	s.watched = cfg
	s.watchMu.Unlock()
}

// fingerprint sums the watched files' contents (and the configuration
// file's, which an invalid new version may not have made watched).
func (s *Service) fingerprint() string {
	s.watchMu.Lock()
	cfg := s.watched
	s.watchMu.Unlock()
	files := []string{s.o.ConfigFile}
	if cfg != nil {
		files = append(files, cfg.Files()...)
	}
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			b = []byte("\x00missing:" + err.Error())
		}
		sum := sha256.Sum256(b)
		h.Write([]byte(f))
		h.Write(sum[:])
	}
	return string(h.Sum(nil))
}

// defaultGCPercent is the garbage collector's target unless GOGC says
// otherwise: the heap may grow half its live size between collections,
// not all of it (Go's default, 100). The service's heap is mostly
// short-lived answers and snapshots being decoded; at 10,000 projects the
// 5-minute load run peaked at 506 MB with 100 and at about 250 MB with
// 50, for a few hundredths of a core more (docs/PERFORMANCE.md).
const defaultGCPercent = 50

// setDefaultGCPercent applies defaultGCPercent unless GOGC is set.
func setDefaultGCPercent() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// setDefaultMemoryLimit sets a soft memory limit of 90% of the
// container's (cgroup v2 memory.max) unless GOMEMLIMIT says otherwise,
// so the garbage collector works harder before the kernel kills the
// process. Snapshots of big projects make the heap grow in bursts.
func setDefaultMemoryLimit(log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	b, err := os.ReadFile("/sys/fs/cgroup/memory.max")
	if err != nil {
		return
	}
	limit, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || limit <= 0 { // "max": no limit
		return
	}
	soft := limit / 10 * 9
	debug.SetMemoryLimit(soft)
	log.Info("soft memory limit set from the container's", "limit_bytes", soft, "container_bytes", limit)
}
