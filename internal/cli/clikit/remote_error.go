package clikit

import (
	"errors"
	"fmt"

	"github.com/gostree/gostree/internal/remote"
)

// RemoteError rewrites remote errors in libostree's words.
func RemoteError(err error) error {
	var nf *remote.NotFoundError
	var ex *remote.ExistsError
	var in *remote.InvalidNameError
	switch {
	case errors.As(err, &in):
		return fmt.Errorf("Invalid remote name %s", in.Name)
	case errors.As(err, &nf):
		return fmt.Errorf("Remote \"%s\" not found", nf.Name)
	case errors.As(err, &ex):
		where := ex.File
		if where == "" {
			where = "(in config)"
		}
		return fmt.Errorf("Remote configuration for \"%s\" already exists: %s", ex.Name, where)
	}
	return err
}
