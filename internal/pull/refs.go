package pull

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// currentRef reads refs/heads/NAME or refs/remotes/REMOTE/NAME of r.
func currentRef(r *repo.Repo, remote, name string) (object.Checksum, bool) {
	p := filepath.Join(r.Path(), "refs", "heads", name)
	if remote != "" {
		p = filepath.Join(r.Path(), "refs", "remotes", remote, name)
	}
	return readRef(p)
}

// currentMirrorRef reads refs/mirrors/CID/NAME of r.
func currentMirrorRef(r *repo.Repo, cid, name string) (object.Checksum, bool) {
	return readRef(filepath.Join(r.Path(), "refs", "mirrors", cid, name))
}

func readRef(p string) (object.Checksum, bool) {
	b, err := os.ReadFile(p)
	if err != nil {
		return object.Checksum{}, false
	}
	c, err := object.ParseChecksum(strings.TrimSpace(string(b)))
	return c, err == nil
}

// checkTimestamp implements --timestamp-check and
// --timestamp-check-from-rev for commit c.
func (p *puller) checkTimestamp(ctx context.Context, c object.Checksum, cm *object.Commit, refName string, isParent bool) error {
	if p.opts.TimestampCheck && refName != "" && !isParent {
		remote := p.opts.Remote
		if p.opts.Mirror {
			remote = ""
		}
		if orig, ok := currentRef(p.dst, remote, refName); ok {
			oc, err := p.dst.LoadCommit(ctx, orig)
			if err != nil {
				return fmt.Errorf("Reading %s for timestamp-check: %w", refName, err)
			}
			if err := compareTimestamps(orig, oc.Timestamp, c, cm.Timestamp); err != nil {
				return err
			}
		}
	}
	if from := p.opts.TimestampCheckFrom; from != nil {
		fc, err := p.dst.LoadCommit(ctx, *from)
		if err != nil {
			return fmt.Errorf("Reading %s for timestamp-check-from-rev: %w", from, err)
		}
		if err := compareTimestamps(*from, fc.Timestamp, c, cm.Timestamp); err != nil {
			return err
		}
	}
	return nil
}

// compareTimestamps is _ostree_compare_timestamps: a new commit must not
// be older than the current one.
func compareTimestamps(cur object.Checksum, curTS uint64, next object.Checksum, nextTS uint64) error {
	if nextTS > curTS || nextTS == curTS || cur == next {
		return nil
	}
	const cFormat = "Mon Jan _2 15:04:05 2006"
	return fmt.Errorf("Upgrade target revision '%s' with timestamp '%s' is chronologically older than current revision '%s' with timestamp '%s'; use --allow-downgrade to permit: %w",
		next, time.Unix(int64(nextTS), 0).UTC().Format(cFormat), cur, time.Unix(int64(curTS), 0).UTC().Format(cFormat), errdefs.ErrInvalid)
}
