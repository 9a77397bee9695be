package delta

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"golang.org/x/sync/errgroup"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// OpenPart returns the file of part i (not called for inline parts).
	// The stream is checked against the part header's checksum and size.
	OpenPart func(ctx context.Context, i int) (io.ReadCloser, error)
	// AllowFallbacks accepts deltas that leave objects to be fetched
	// separately (pulls fetch them); offline application refuses them.
	AllowFallbacks bool
	// SkipChecksums trusts part files without hashing them.
	SkipChecksums bool
	// Concurrency bounds how many parts are applied at once; 0 picks a
	// default.
	Concurrency int
	// PartDone, when set, is called after each part that was applied or
	// found complete.
	PartDone func(i int, skipped bool)
}

// Apply applies a delta to txn as ostree_repo_static_delta_execute_offline
// does: it checks that the FROM commit is present, stages the TO commit
// unless it is stored, and executes every part whose objects are not all
// present. The TO commit's detached metadata (sb.DetachedMetadata) is the
// caller's to write once the transaction is committed.
func Apply(ctx context.Context, txn *repo.Txn, sb *Superblock, opts ApplyOptions) error {
	if !sb.From.IsZero() {
		ok, err := txn.HasObject(ctx, sb.From, object.TypeCommit)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("Commit %s, which is the delta source, is not in repository: %w", sb.From, errdefs.ErrNotFound)
		}
	}
	if err := txn.WriteMetadataAs(ctx, sb.To, object.TypeCommit, sb.Commit); err != nil {
		return err
	}
	if len(sb.Fallbacks) > 0 && !opts.AllowFallbacks {
		return fmt.Errorf("Cannot execute delta offline: contains nonempty http fallback entries: %w", errdefs.ErrInvalid)
	}
	return ApplyParts(ctx, txn, sb, opts)
}

// ApplyParts executes the parts of sb that create objects txn lacks.
func ApplyParts(ctx context.Context, txn *repo.Txn, sb *Superblock, opts ApplyOptions) error {
	for _, h := range sb.Parts {
		if h.Version > PartVersion {
			return fmt.Errorf("Delta part has too new version %d: %w", h.Version, errdefs.ErrInvalid)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	n := opts.Concurrency
	if n <= 0 {
		n = min(4, runtime.GOMAXPROCS(0))
	}
	g.SetLimit(n)
	// Payload buffers go back here once a part is done, for the next.
	free := make(chan []byte, n)
	for i := range sb.Parts {
		h := &sb.Parts[i]
		complete, err := HaveAll(gctx, txn, h.Objects)
		if err != nil {
			return err
		}
		if complete {
			if opts.PartDone != nil {
				opts.PartDone(i, true)
			}
			continue
		}
		g.Go(func() error {
			if err := applyPart(gctx, txn, sb, i, opts, free); err != nil {
				return fmt.Errorf("Executing delta part %d: %w", i, err)
			}
			if opts.PartDone != nil {
				opts.PartDone(i, false)
			}
			return nil
		})
	}
	return g.Wait()
}

// HaveAll reports whether every object of a part is already present
// (_ostree_repo_static_delta_part_have_all_objects).
func HaveAll(ctx context.Context, txn *repo.Txn, objects []object.Name) (bool, error) {
	for _, o := range objects {
		ok, err := txn.HasObject(ctx, o.Checksum, o.Type)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func applyPart(ctx context.Context, txn *repo.Txn, sb *Superblock, i int, opts ApplyOptions, free chan []byte) error {
	h := &sb.Parts[i]
	popts := OpenOptions{
		MaxPayload: PayloadLimit(h.USize),
		TmpDir:     filepath.Join(txn.Repo().Path(), "tmp"),
		SizeHint:   h.USize,
	}
	select {
	case popts.Buf = <-free:
	default:
	}
	var in io.Reader
	if inline, ok := sb.InlinePart(i); ok {
		in = bytes.NewReader(inline)
		popts.TmpDir = ""
	} else {
		if opts.OpenPart == nil {
			return fmt.Errorf("part %d is not inline: %w", i, errdefs.ErrNotFound)
		}
		rc, err := opts.OpenPart(ctx, i)
		if err != nil {
			return err
		}
		defer rc.Close()
		in = rc
		if !opts.SkipChecksums {
			popts.Expected = &h.Checksum
			if sb.Endianness != EndianInvalid {
				popts.MaxFileSize = int64(min(h.Size, 1<<62))
			}
		}
	}
	part, err := OpenPart(in, popts)
	if err != nil {
		return err
	}
	defer part.Close()
	if err := ExecutePart(ctx, txn, h.Objects, part.Payload); err != nil {
		return err
	}
	if b := part.Buffer(); b != nil {
		select {
		case free <- b:
		default:
		}
	}
	return nil
}
