package cfsostree

import (
	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/object"
)

// LooseFileNode reads one object by path as Tree does for a loose
// repository; false when it would go through LoadFile instead.
func LooseFileNode(src Source, c object.Checksum, v Verity) (*composefs.Node, bool) {
	lr, ok := src.(looseRepo)
	if !ok {
		return nil, false
	}
	l := newLooseReader(lr, v)
	if l == nil {
		return nil, false
	}
	return l.fileNode(c, newScratch())
}
