package sysroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/gvariant"
)

// stagedKeyLocked is the staged state's boolean that locks finalization.
const stagedKeyLocked = "locked"

// ErrNoStaged is ChangeFinalization without a staged deployment.
var ErrNoStaged = errors.New("No staged deployment")

// ChangeFinalization toggles the staged deployment's finalization lock
// (`admin lock-finalization`), as libostree 2023.8+ does: "locked" is
// rewritten in the staged state, other entries kept, and the legacy lock
// file that older versions honour is created with the lock and removed
// with it. It returns the new state.
func (s *Sysroot) ChangeFinalization() (bool, error) {
	d := s.Staged
	if d == nil {
		return false, ErrNoStaged
	}
	locked := !d.FinalizationLocked
	p := s.stagedPath()
	b, err := os.ReadFile(p)
	if err != nil {
		return false, err
	}
	v, err := gvariant.Unmarshal(gvariant.MustType("a{sv}"), b)
	if err != nil {
		return false, fmt.Errorf("%s: %w", p, err)
	}
	items, _ := v.([]any)
	entry := gvariant.DictEntry{Key: stagedKeyLocked, Value: gvariant.NewVariant("b", locked)}
	var out []any
	replaced := false
	for _, it := range items {
		if e, ok := it.(gvariant.DictEntry); ok && e.Key == stagedKeyLocked {
			out, replaced = append(out, entry), true
			continue
		}
		out = append(out, it)
	}
	if !replaced {
		out = append(out, entry)
	}
	data, err := gvariant.Marshal(gvariant.MustType("a{sv}"), out)
	if err != nil {
		return false, err
	}
	if err := fsx.WriteFileAtomic(p, data, 0o644, false); err != nil {
		return false, fmt.Errorf("writing %s: %w", p, err)
	}
	if locked {
		err = s.touchStagedLock()
	} else if err = os.Remove(s.stagedLockedPath()); errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err != nil {
		return false, err
	}
	d.FinalizationLocked = locked
	return locked, nil
}
