package finder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// remoteCommitTimestamp downloads commit c (and its detached metadata)
// from rem, checks its signature with the keys of the remote that
// verifies rem, and returns its timestamp; ok is false when the remote
// does not have it.
func remoteCommitTimestamp(ctx context.Context, dst *repo.Repo, rem Remote, c object.Checksum, opts Options) (ts uint64, ok bool, err error) {
	u, err := url.Parse(rem.URL)
	if err != nil {
		return 0, false, fmt.Errorf("remote %s url %q: %w", rem.Name, rem.URL, errdefs.ErrInvalid)
	}
	commitPath := object.LoosePath(c, object.TypeCommit, true)
	metaPath := object.LoosePath(c, object.TypeCommitMeta, true)
	var commit, detached []byte
	switch u.Scheme {
	case "file":
		if commit, err = readOptional(filepath.Join(u.Path, "objects", commitPath)); err != nil || commit == nil {
			return 0, false, err
		}
		if detached, err = readOptional(filepath.Join(u.Path, "objects", metaPath)); err != nil {
			return 0, false, err
		}
	case "http", "https":
		retries := opts.Remote.NetworkRetries
		if retries < 0 {
			retries = fetch.DefaultRetries
		}
		client, err := fetch.New(fetch.Options{Retries: retries, Header: opts.Remote.HTTPHeaders, ExtraUserAgent: opts.Remote.AppendUserAgent})
		if err != nil {
			return 0, false, err
		}
		defer client.Close()
		get := func(p string) ([]byte, error) {
			b, err := client.Fetch(ctx, &fetch.Request{Mirrors: []*url.URL{u}, Path: "objects/" + p, MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata})
			if errors.Is(err, errdefs.ErrNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			defer b.Close()
			return b.Bytes()
		}
		if commit, err = get(commitPath); err != nil || commit == nil {
			return 0, false, err
		}
		if detached, err = get(metaPath); err != nil {
			return 0, false, err
		}
	default:
		return 0, false, fmt.Errorf("remote %s: unsupported URL scheme %q: %w", rem.Name, u.Scheme, errdefs.ErrNotSupported)
	}
	if object.Sum(commit) != c {
		return 0, false, fmt.Errorf("commit %s from remote %s: %w", c, rem.Name, errdefs.ErrCorrupt)
	}
	if err := verifyCommit(ctx, rem, c, commit, detached, opts); err != nil {
		return 0, false, err
	}
	cm, err := object.UnmarshalCommit(commit)
	if err != nil {
		return 0, false, fmt.Errorf("commit %s from remote %s: %w: %v", c, rem.Name, errdefs.ErrCorrupt, err)
	}
	return cm.Timestamp, true, nil
}

// verifyCommit checks a commit's GPG signatures with the keys trusted
// for the remote that verifies rem; collection pulls always verify.
func verifyCommit(ctx context.Context, rem Remote, c object.Checksum, commit, detached []byte, opts Options) error {
	if opts.Remote.GPGVerifyCommit == nil {
		return fmt.Errorf("Commit %s: GPG verification enabled, but signature verification is not available: %w", c, errdefs.ErrNotSupported)
	}
	return opts.Remote.GPGVerifyCommit(ctx, rem.VerifyingRemote(), c, commit, detached)
}

func readOptional(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
