package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
)

// Lock takes the repository lock the way libostree does (flock on
// .lock): shared for writers of new objects, exclusive for operations that
// delete (prune). It waits up to core.lock-timeout-secs.
func (r *Repo) Lock(ctx context.Context, exclusive bool) (func(), error) {
	if !r.ConfigBool("locking", true) {
		return func() {}, nil
	}
	f, err := os.OpenFile(filepath.Join(r.path, ".lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o640)
	if err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, unix.EROFS) {
			return func() {}, nil // read-only repos need no lock
		}
		return nil, fmt.Errorf("open repo lock: %w", err)
	}
	how := fsx.LockShared
	if exclusive {
		how = fsx.LockExclusive
	}
	deadline := time.Now().Add(time.Duration(r.lockTimeoutSec) * time.Second)
	for {
		err := fsx.Flock(f, how)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock repo: %w", err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock repo %s: timed out: %w", r.path, errdefs.ErrLocked)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return func() { f.Close() }, nil
}
