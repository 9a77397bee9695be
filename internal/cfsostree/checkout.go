package cfsostree

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// CheckoutImage writes the image of commit to dest (replacing it
// atomically), as ostree_repo_checkout_composefs: mode 0644, fs-verity
// enabled as the repo's [ex-integrity] policy asks, and with
// VerityRequired the digest checked against the commit's
// ostree.composefs.digest.v0 when it has one. It returns the digest.
func CheckoutImage(ctx context.Context, r *repo.Repo, commit object.Checksum, dest string, v Verity) ([32]byte, error) {
	cm, err := r.LoadCommit(ctx, commit)
	if err != nil {
		return [32]byte{}, err
	}
	want, err := ExpectedDigest(cm.Metadata)
	if err != nil && v == VerityRequired {
		return [32]byte{}, fmt.Errorf("commit %s: %w", commit, err)
	}
	root, err := Tree(ctx, r, cm.RootTree, cm.RootMeta, v)
	if err != nil {
		return [32]byte{}, err
	}
	return writeAtomic(r, dest, func(f *os.File) ([32]byte, error) {
		w := bufio.NewWriterSize(f, 1<<16)
		d, err := WriteImage(w, root)
		if err == nil {
			err = w.Flush()
		}
		if err == nil && v == VerityRequired {
			err = CheckDigest(d, want)
		}
		return d, err
	})
}

// writeAtomic fills a temp file beside dest, seals it and renames it
// over dest; on any error nothing is left behind.
func writeAtomic(r *repo.Repo, dest string, fill func(*os.File) ([32]byte, error)) ([32]byte, error) {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return [32]byte{}, fmt.Errorf("composefs: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	d, err := fill(f)
	if err != nil {
		return d, err
	}
	if err := f.Chmod(0o644); err != nil {
		return d, fmt.Errorf("composefs: %w", err)
	}
	if err := f.Close(); err != nil {
		return d, fmt.Errorf("composefs: %w", err)
	}
	// fs-verity needs the file closed for writing.
	if err := r.SealFile(tmp); err != nil {
		return d, fmt.Errorf("composefs: %w", err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return d, fmt.Errorf("composefs: %w", err)
	}
	ok = true
	return d, nil
}
