package repo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Staging directories are locked through a sibling "<dir>-lock" file, as
// libostree locks them, so that either tool can tell a live transaction's
// directory from one a crashed or failed transaction left behind.

// lockStaging takes the lock of the staging directory dir without
// waiting; it returns -1 when another process holds it.
func lockStaging(dir string) (int, error) {
	fd, err := unix.Open(dir+"-lock", unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return -1, err
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) || errors.Is(err, unix.EACCES) {
			return -1, nil
		}
		return -1, err
	}
	return fd, nil
}

// removeStaleStaging deletes staging directories nobody holds: those of
// earlier boots and those a failed transaction kept. Their objects were
// never published, so nothing else refers to them.
func (r *Repo) removeStaleStaging() {
	tmp := filepath.Join(r.path, "tmp")
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "staging-") {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		fd, err := lockStaging(dir)
		if err != nil || fd < 0 {
			continue
		}
		if os.RemoveAll(dir) == nil {
			os.Remove(dir + "-lock")
		}
		unix.Close(fd)
	}
}

// releaseStaging unlocks a staging directory; remove also deletes the
// lock file (the directory is gone).
func releaseStaging(dir string, fd int, remove bool) {
	if fd < 0 {
		return
	}
	if remove {
		os.Remove(dir + "-lock")
	}
	unix.Close(fd)
}

// testErrorPreCommit reports libostree's OSTREE_REPO_TEST_ERROR=pre-commit
// hook: transactions fail just before publishing and keep their staging
// directory, which the test suite then inspects.
func testErrorPreCommit() bool {
	for _, f := range strings.FieldsFunc(os.Getenv("OSTREE_REPO_TEST_ERROR"), func(r rune) bool {
		return r == ',' || r == ':' || r == ';' || r == ' '
	}) {
		if f == "pre-commit" {
			return true
		}
	}
	return false
}

func unixClose(fd int) { unix.Close(fd) }
