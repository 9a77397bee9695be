//go:build !linux

package fsck

import (
	"context"
	"errors"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

var errFallback = errors.New("fsck: use the generic path")

// verifyLocalContent has no fast path off Linux.
func verifyLocalContent(ctx context.Context, r *repo.Repo, c object.Checksum) error {
	return errFallback
}
