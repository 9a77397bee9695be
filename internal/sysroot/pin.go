package sysroot

import (
	"fmt"

	"github.com/gostree/gostree/internal/keyfile"
)

// SetPinned sets or clears the transient pin of d, which keeps it through
// later deploys; only the origin file changes.
func (s *Sysroot) SetPinned(d *Deployment, pinned bool) error {
	if d.Pinned() == pinned {
		return nil
	}
	if d.Staged {
		return fmt.Errorf("Cannot pin staged deployment")
	}
	origin := keyfile.New()
	if d.Origin != nil {
		var err error
		if origin, err = keyfile.Parse(d.Origin.Bytes()); err != nil {
			return err
		}
	}
	if pinned {
		origin.SetBool("libostree-transient", "pinned", true)
	} else {
		origin.RemoveKey("libostree-transient", "pinned")
	}
	if err := s.WriteOrigin(d, origin); err != nil {
		return err
	}
	d.Origin = origin
	return nil
}
