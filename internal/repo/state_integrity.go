package repo

import (
	"errors"
	"io/fs"
	"os"

	"github.com/gostree/gostree/internal/object"
)

// CommitState describes a commit's local completeness, as recorded in
// state/CHECKSUM.commitpartial.
type CommitState struct {
	// Partial is set when the commit's tree may be incomplete.
	Partial bool
	// FsckPartial is set when fsck marked the commit partial after
	// finding missing or corrupt objects (the marker holds "f").
	FsckPartial bool
}

// CommitState reads the commitpartial marker of commit c in this repo
// or, when the commit is stored in a parent repo, that parent.
func (r *Repo) CommitState(c object.Checksum) (CommitState, error) {
	x, err := r.FindObject(c, object.TypeCommit)
	if err != nil {
		return CommitState{}, err
	}
	if x == nil {
		x = r
	}
	f, err := os.Open(x.partialPath(c))
	if errors.Is(err, fs.ErrNotExist) {
		return CommitState{}, nil
	}
	if err != nil {
		return CommitState{}, err
	}
	defer f.Close()
	st := CommitState{Partial: true}
	var b [1]byte
	if n, _ := f.Read(b[:]); n == 1 && b[0] == 'f' {
		st.FsckPartial = true
	}
	return st, nil
}
