package natsembed

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockFile is the file in the store directory an embedded server holds
// locked while it runs.
const lockFile = "omswatch.lock"

// LockedError says another process's embedded server is using the store
// directory: opening it a second time would have two servers rewrite the
// same streams ("Stream state outdated ... will rebuild"). URL, when the
// holder wrote it, is where to reach that server instead.
type LockedError struct {
	Dir   string
	PID   int
	URL   string
	Since time.Time
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("process %d", e.PID)
	}
	msg := fmt.Sprintf("the store %s is in use by %s", e.Dir, who)
	if e.URL != "" {
		msg += fmt.Sprintf(" (its NATS server: %s)", e.URL)
	}
	return msg + "; stop it first, or reach its server with nats.url"
}

// holder is what the lock file says about the process holding it.
type holder struct {
	PID   int       `json:"pid"`
	URL   string    `json:"url,omitempty"`
	Since time.Time `json:"since"`
}

// storeLock is a held lock on a store directory.
type storeLock struct{ f *os.File }

// lockStore takes the store directory's lock, or says who holds it. The
// lock is an flock on a file in the directory: the kernel drops it when
// the process dies, so a crash leaves nothing to clean up.
func lockStore(dir string) (*storeLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store dir: %w", err)
	}
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, lockedBy(dir, path)
		}
		return nil, fmt.Errorf("store lock %s: %w", path, err)
	}
	l := &storeLock{f: f}
	l.write(holder{PID: os.Getpid(), Since: time.Now().UTC()})
	return l, nil
}

// lockedBy reads who holds the lock.
func lockedBy(dir, path string) error {
	e := &LockedError{Dir: dir}
	if b, err := os.ReadFile(path); err == nil {
		var h holder
		if json.Unmarshal(b, &h) == nil {
			e.PID, e.URL, e.Since = h.PID, h.URL, h.Since
		}
	}
	return e
}

// write records the holder in the lock file (best effort: the lock is
// the flock, the content only tells others who holds it).
func (l *storeLock) write(h holder) {
	b, _ := json.Marshal(h)
	if err := l.f.Truncate(0); err == nil {
		_, _ = l.f.WriteAt(b, 0)
	}
}

// release drops the lock.
func (l *storeLock) release() {
	if l != nil && l.f != nil {
		_ = l.f.Close()
	}
}
