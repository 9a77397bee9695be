package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/summary"
)

// refreshSummary regenerates the summary when the refs (or the config)
// changed since it was last written by this handler, or when there is
// none.
func (h *Handler) refreshSummary(ctx context.Context) error {
	h.summaryMu.Lock()
	defer h.summaryMu.Unlock()
	r := h.opts.Repo
	state, err := refsFingerprint(r.Path())
	if err != nil {
		return err
	}
	_, statErr := os.Stat(filepath.Join(r.Path(), "summary"))
	if state == h.refsState && statErr == nil {
		return nil
	}
	if err := summary.Regenerate(ctx, r, summary.Options{}); err != nil {
		return err
	}
	h.refsState = state
	return nil
}

// refsFingerprint hashes the names, sizes and times of everything under
// refs/heads and refs/mirrors (what the summary lists), and of the
// config and the deltas directory.
func refsFingerprint(repoPath string) (string, error) {
	d := sha256.New()
	add := func(p string, info fs.FileInfo) {
		fmt.Fprintf(d, "%s\x00%d\x00%d\x00%v\n", p, info.Size(), info.ModTime().UnixNano(), info.Mode())
	}
	for _, top := range []string{"refs/heads", "refs/mirrors"} {
		root := filepath.Join(repoPath, top)
		err := filepath.Walk(root, func(p string, info fs.FileInfo, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			add(p, info)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("scan refs: %w", err)
		}
	}
	for _, f := range []string{"config", "deltas"} {
		if info, err := os.Stat(filepath.Join(repoPath, f)); err == nil {
			add(f, info)
		}
	}
	return hex.EncodeToString(d.Sum(nil)), nil
}
